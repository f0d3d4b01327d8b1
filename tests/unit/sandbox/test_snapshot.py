"""The optional state file keeps phones, chats, windows and subscriptions across restarts."""

from __future__ import annotations

from pathlib import Path

from cobro.sandbox.runtime import Sandbox
from cobro.sandbox.settings import SandboxSettings
from cobro.sandbox.snapshot import load_snapshot, save_snapshot
from cobro.sandbox.state import Message


def test_a_saved_sandbox_comes_back_with_its_chats_and_callback(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.json"
    before = Sandbox(SandboxSettings())
    phone = before.state.phone("+5215511112222")
    phone.last_inbound["n1"] = 123.0
    message = Message(
        id="wamid.1",
        phone=phone.phone,
        number_id="n1",
        direction="from_phone",
        timestamp=1,
        type="text",
        status="delivered",
        render={"header": None, "body": "hola", "footer": None, "buttons": [], "list": None},
    )
    before.state.add_message(phone, message)
    before.dispatcher.app_callback = "http://cobro/webhooks"
    save_snapshot(before, path)

    after = Sandbox(SandboxSettings())
    assert load_snapshot(after, path)
    restored = after.state.phones["+5215511112222"]
    assert restored.last_inbound == {"n1": 123.0}
    assert [m.to_json()["render"]["body"] for m in after.state.chat(restored)] == ["hola"]
    assert after.dispatcher.callback_url() == "http://cobro/webhooks"
    assert not load_snapshot(after, tmp_path / "missing.json")
