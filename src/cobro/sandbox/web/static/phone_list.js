// The phone list: every phone the sandbox knows, each a link to its chat (needs phone_kit.js first).
"use strict";

(() => {
  const { h, getJson, identityParts } = window.PhoneKit;

  function startList() {
    const list = document.querySelector('[data-testid="phone-list"]');
    const empty = document.querySelector('[data-testid="phone-list-empty"]');
    const failure = document.querySelector('[data-testid="phone-list-error"]');
    let shown = "";

    async function refresh() {
      try {
        const { phones } = await getJson("/sandbox/phones");
        failure.hidden = true;
        const signature = JSON.stringify(phones);
        if (signature === shown) return; // nothing new: leave the list (and any focus in it) alone
        shown = signature;
        list.replaceChildren(
          ...phones.map((phone) => {
            const { title, detail } = identityParts(phone, phone.phone);
            const initial = (phone.name || phone.username || "#").replace(/^@/, "").charAt(0).toUpperCase();
            return h(
              "li",
              { testid: "phone", data: { phone: phone.phone } },
              h(
                "a",
                { cls: "phone-link", attrs: { href: `/phone/${phone.phone}` } },
                h("span", { cls: "avatar", text: initial, attrs: { "aria-hidden": "true" } }),
                h(
                  "span",
                  { cls: "phone-text" },
                  h("span", { cls: "phone-name", text: title }),
                  h("span", { cls: `phone-detail${phone.on_whatsapp === false ? " phone-off" : ""}`, text: detail }),
                ),
              ),
            );
          }),
        );
        empty.hidden = phones.length > 0;
      } catch (error) {
        failure.textContent = `Could not load the phones: ${error.message}`;
        failure.hidden = false;
      } finally {
        list.removeAttribute("aria-busy");
      }
    }

    refresh();
    // Phones appear as the business writes to new numbers; a light poll keeps the list current.
    setInterval(() => {
      if (document.visibilityState === "visible") refresh();
    }, 4000);
  }


  document.addEventListener("DOMContentLoaded", startList);
})();
