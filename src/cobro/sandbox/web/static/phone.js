// The debtor's phone: a WhatsApp-like chat over the sandbox's phone API (docs/sandbox.md); needs phone_kit.js.
// Every text from the API reaches the page through textContent or attributes, never through innerHTML.
"use strict";

(() => {
  const { STATUS_RANK, STATUS_LABEL, ICONS, phoneApi, h, getJson, postJson, identityParts, appendFormatted } =
    window.PhoneKit;
  // The latest messages are enough for a person; a benchmark's phone can hold many thousands.
  const HISTORY_LIMIT = 500;
  // What the person can react with, as WhatsApp offers first.
  const REACTIONS = ["👍", "❤️", "🙏", "😮", "😢"];
  // Meta's limit on an image caption; the phone API refuses longer ones.
  const CAPTION_LIMIT = 1024;
  const SVG_NS = "http://www.w3.org/2000/svg";

  /** The built-in sample photos, drawn here (nothing is fetched): [tag, attributes] shapes on a 240×150 canvas. */
  const PHOTO_SAMPLES = {
    receipt: {
      label: "Transfer receipt",
      shapes: [
        ["rect", { width: 240, height: 150, fill: "#d5e2dd" }],
        ["polygon", { points: "80,16 164,16 164,134 157,139 150,134 143,139 136,134 129,139 122,134 115,139 108,134 101,139 94,134 87,139 80,134", fill: "rgba(11,20,26,0.12)" }],
        ["polygon", { points: "78,13 162,13 162,131 155,136 148,131 141,136 134,131 127,136 120,131 113,136 106,131 99,136 92,131 85,136 78,131", fill: "#fff" }],
        ["rect", { x: 78, y: 13, width: 84, height: 15, fill: "#008069" }],
        ["rect", { x: 86, y: 19, width: 30, height: 3, rx: 1.5, fill: "rgba(255,255,255,0.85)" }],
        ["circle", { cx: 120, cy: 45, r: 9, fill: "#25d366" }],
        ["path", { d: "M115.6 45.3l3 3 5.8-6", fill: "none", stroke: "#fff", "stroke-width": 2.2, "stroke-linecap": "round", "stroke-linejoin": "round" }],
        ["rect", { x: 92, y: 61, width: 56, height: 4, rx: 2, fill: "#c5cdd1" }],
        ["rect", { x: 99, y: 71, width: 42, height: 8, rx: 2, fill: "#54656f" }],
        ["rect", { x: 88, y: 90, width: 64, height: 3, rx: 1.5, fill: "#dde3e6" }],
        ["rect", { x: 88, y: 98, width: 64, height: 3, rx: 1.5, fill: "#dde3e6" }],
        ["rect", { x: 88, y: 106, width: 46, height: 3, rx: 1.5, fill: "#dde3e6" }],
        ["rect", { x: 88, y: 114, width: 54, height: 3, rx: 1.5, fill: "#dde3e6" }],
      ],
    },
    id_card: {
      label: "ID card",
      shapes: [
        ["rect", { width: 240, height: 150, fill: "#d8dee8" }],
        ["rect", { x: 42, y: 28, width: 160, height: 100, rx: 10, fill: "rgba(11,20,26,0.12)" }],
        ["rect", { x: 40, y: 25, width: 160, height: 100, rx: 10, fill: "#f6f8fb" }],
        ["path", { d: "M50 25h140a10 10 0 0 1 10 10v11H40V35a10 10 0 0 1 10-10z", fill: "#3b6ea8" }],
        ["rect", { x: 52, y: 33, width: 52, height: 5, rx: 2.5, fill: "rgba(255,255,255,0.85)" }],
        ["rect", { x: 52, y: 56, width: 40, height: 56, rx: 4, fill: "#c9d3de" }],
        ["circle", { cx: 72, cy: 75, r: 9, fill: "#8fa1b3" }],
        ["path", { d: "M57 112c0-11 7-17 15-17s15 6 15 17z", fill: "#8fa1b3" }],
        ["rect", { x: 102, y: 60, width: 84, height: 6, rx: 3, fill: "#54656f" }],
        ["rect", { x: 102, y: 74, width: 70, height: 4, rx: 2, fill: "#b7c2cd" }],
        ["rect", { x: 102, y: 84, width: 78, height: 4, rx: 2, fill: "#b7c2cd" }],
        ["rect", { x: 102, y: 94, width: 56, height: 4, rx: 2, fill: "#b7c2cd" }],
        ["rect", { x: 102, y: 106, width: 40, height: 6, rx: 2, fill: "#dfe5ec" }],
      ],
    },
    photo: {
      label: "Photo",
      shapes: [
        ["rect", { width: 240, height: 150, fill: "#bfe3f2" }],
        ["circle", { cx: 184, cy: 40, r: 14, fill: "#ffd279" }],
        ["polygon", { points: "0,150 0,112 58,62 104,110 138,82 240,140 240,150", fill: "#7bb896" }],
        ["polygon", { points: "62,150 138,82 200,126 240,104 240,150", fill: "#4f9473" }],
      ],
    },
  };

  function startChat() {
    const number = document.body.dataset.phone;
    const base = phoneApi(number);
    const chat = document.querySelector('[data-testid="chat"]');
    const column = document.querySelector('[data-testid="messages"]');
    const identity = document.querySelector('[data-testid="phone-identity"]');
    const connection = document.querySelector('[data-testid="connection"]');
    const banner = document.querySelector('[data-testid="banner"]');
    const toastBox = document.querySelector('[data-testid="toast"]');
    const form = document.querySelector('[data-testid="composer-form"]');
    const composer = document.querySelector('[data-testid="composer"]');
    const sheet = document.querySelector('[data-testid="list-sheet"]');
    const sheetTitle = sheet.querySelector(".sheet-title");
    const sheetBody = sheet.querySelector('[data-testid="list-sections"]');

    /** id -> {msg, node}; the DOM order follows the timestamps. */
    const messages = new Map();
    /** Statuses that arrived before their message. */
    const earlyStatuses = new Map();
    /** Delivered messages we already asked the sandbox to mark as read. */
    const readRequested = new Set();
    let localSequence = 0;
    let readTimer = null;
    let toastTimer = null;
    let sheetReturnFocus = null;
    /** The reaction picker open on a message, if any: {picker, opener}. */
    let openPicker = null;

    // -- sample photos --

    // The phone API keeps a photo's caption, not which sample it was: the page remembers that itself (for this
    // tab, across reloads); a photo it does not know is drawn as the plain "Photo".
    const photoSamples = new Map();

    function rememberSample(id, sample) {
      if (!id || !sample) return;
      photoSamples.set(id, sample);
      try {
        sessionStorage.setItem(`cobro-photo:${id}`, sample);
      } catch {
        // storage may be off: the drawing then lasts until the page is reloaded
      }
    }

    function sampleOf(msg) {
      let sample = msg.sample || photoSamples.get(msg.id);
      if (!sample) {
        try {
          sample = sessionStorage.getItem(`cobro-photo:${msg.id}`);
        } catch {
          sample = null;
        }
      }
      return sample && sample in PHOTO_SAMPLES ? sample : "photo";
    }

    function photoPlaceholder(msg) {
      const sample = sampleOf(msg);
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("viewBox", "0 0 240 150");
      svg.setAttribute("preserveAspectRatio", "xMidYMid slice");
      svg.setAttribute("aria-hidden", "true");
      for (const [tag, attrs] of PHOTO_SAMPLES[sample].shapes) {
        const shape = document.createElementNS(SVG_NS, tag);
        for (const [name, value] of Object.entries(attrs)) shape.setAttribute(name, String(value));
        svg.append(shape);
      }
      return h(
        "span",
        { cls: "msg-image", testid: "image-placeholder", data: { sample }, attrs: { role: "img", "aria-label": PHOTO_SAMPLES[sample].label } },
        svg,
      );
    }

    // -- status lines --

    function showBanner(text, kind = "info") {
      banner.textContent = text;
      banner.dataset.kind = kind;
      banner.hidden = !text;
    }

    function toast(text) {
      toastBox.textContent = text;
      toastBox.hidden = false;
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => {
        toastBox.hidden = true;
      }, 3200);
    }

    function setConnection(state, title) {
      connection.dataset.state = state;
      connection.title = title;
    }

    let identityText = number;
    let typingTimer = null;

    /** The business's typing indicator, as the person sees it: until its next message, 25 s at most (Meta's). */
    function showTyping(on) {
      clearTimeout(typingTimer);
      identity.textContent = on ? "typing…" : identityText;
      identity.classList.toggle("typing", on);
      if (on) typingTimer = setTimeout(() => showTyping(false), 25000);
    }

    function showPhone(phone) {
      const { title, detail } = identityParts(phone, number);
      identityText = detail ? `${title} · ${detail}` : title;
      if (!identity.classList.contains("typing")) identity.textContent = identityText;
      document.title = `${title} · Cobro sandbox`;
      if (phone && phone.on_whatsapp === false) {
        showBanner("This number is not on WhatsApp: the business's messages to it fail.", "info");
      } else if (banner.dataset.kind !== "error") {
        showBanner("");
      }
    }

    // -- rendering one message --

    function ticksFor(status) {
      const kind = status in STATUS_RANK ? status : "accepted";
      const glyph =
        kind === "failed" ? ICONS.failed() : kind === "accepted" ? ICONS.clock() : kind === "sent" ? ICONS.tick() : ICONS.ticks();
      return h("span", { cls: "ticks", testid: "ticks", data: { status: kind }, attrs: { "aria-label": STATUS_LABEL[kind], title: STATUS_LABEL[kind] } }, glyph);
    }

    function timeOf(timestamp) {
      const when = new Date(Number(timestamp) * 1000);
      return Number.isNaN(when.getTime()) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }

    function dayOf(timestamp) {
      const when = new Date(Number(timestamp) * 1000);
      const today = new Date();
      const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
      if (when.toDateString() === today.toDateString()) return "Today";
      if (when.toDateString() === yesterday.toDateString()) return "Yesterday";
      return when.toLocaleDateString([], { day: "numeric", month: "long", year: "numeric" });
    }

    function quoteFor(msg) {
      if (!msg.context_id) return null;
      const quoted = messages.get(msg.context_id);
      if (!quoted) return null;
      const render = quoted.msg.render || {};
      const text = [render.header, render.body].filter(Boolean).join("\n") || (quoted.msg.type === "image" ? "📷 Photo" : quoted.msg.type);
      return h(
        "span",
        { cls: "quote", testid: "message-quote", data: { quotedId: msg.context_id } },
        h("span", { cls: "quote-author", text: quoted.msg.direction === "to_phone" ? "Cobro sandbox" : "You" }),
        h("span", { cls: "quote-text", text }),
      );
    }

    function buttonFor(msg, button) {
      const title = button.title || "";
      if (button.kind === "url") {
        const safe = /^https?:\/\//i.test(button.url || "");
        return h(
          "a",
          {
            cls: "action",
            testid: "message-button",
            data: { kind: "url" },
            attrs: safe ? { href: button.url, target: "_blank", rel: "noopener noreferrer", title: button.url } : { "aria-disabled": "true", title: "No usable link" },
          },
          ICONS.external(),
          h("span", { text: title }),
        );
      }
      if (button.kind === "phone_number") {
        const phoneNumber = String(button.url || button.id || "").replace(/^tel:/i, "");
        const node = h(
          "button",
          { cls: "action", testid: "message-button", data: { kind: "phone_number" }, attrs: { type: "button", title: phoneNumber } },
          ICONS.call(),
          h("span", { text: title }),
          phoneNumber ? h("span", { cls: "action-number", text: phoneNumber }) : null,
        );
        node.addEventListener("click", () => toast(phoneNumber ? `Call ${phoneNumber}` : "No number given"));
        return node;
      }
      const node = h(
        "button",
        { cls: "action", testid: "message-button", data: { kind: button.kind, id: button.id }, attrs: { type: "button" } },
        ICONS.reply(),
        h("span", { text: title }),
      );
      node.addEventListener("click", async () => {
        // A template's quick reply answers with its payload; an interactive button with its id.
        const payload =
          button.kind === "quick_reply"
            ? { button: { payload: button.id ?? title, text: title }, context: msg.id }
            : { button_reply: { id: button.id ?? title, title }, context: msg.id };
        node.disabled = true;
        try {
          await sendFromPhone(payload, { type: button.kind === "quick_reply" ? "button" : "interactive", body: title });
        } finally {
          node.disabled = false;
        }
      });
      return node;
    }

    function listOpenerFor(msg, list) {
      const node = h(
        "button",
        { cls: "action", testid: "list-open", attrs: { type: "button", "aria-haspopup": "dialog" } },
        ICONS.list(),
        h("span", { text: list.button || "Options" }),
      );
      node.addEventListener("click", () => openSheet(msg, list, node));
      return node;
    }

    function buildNode(msg) {
      const render = msg.render || {};
      const outgoing = msg.direction === "from_phone";
      const buttons = Array.isArray(render.buttons) ? render.buttons : [];
      const rich = buttons.length > 0 || Boolean(render.list);
      const image = msg.type === "image";
      // A photo without a caption shows its time over the picture, as WhatsApp does.
      const bare = image && !render.body;
      const body = h("span", { cls: "msg-body", testid: "message-body" });
      if (msg.type === "reaction") {
        // Reached only when the reacted-to message is not in this chat: say what happened instead.
        body.append(h("span", { cls: "msg-unsupported", text: render.body ? `Reacted ${render.body}` : "Reaction" }));
      } else if (render.body) appendFormatted(body, render.body);
      else if (msg.type !== "image") {
        body.append(h("span", { cls: "msg-unsupported", text: `(${msg.type || "unknown"} message)` }));
      }
      const footer = render.footer ? h("small", { cls: "msg-footer", testid: "message-footer", text: render.footer }) : null;
      // Room after the last line of text so the time, drawn in the corner, never covers it.
      if (!bare) (footer || body).append(h("span", { cls: "meta-spacer", attrs: { "aria-hidden": "true" } }));
      const bubble = h(
        "div",
        { cls: "bubble" },
        h(
          "div",
          { cls: "content" },
          quoteFor(msg),
          image ? photoPlaceholder(msg) : null,
          render.header ? h("strong", { cls: "msg-header", testid: "message-header", text: render.header }) : null,
          bare ? null : body,
          footer,
          h("span", { cls: "meta" }, h("time", { text: timeOf(msg.timestamp) }), ticksFor(msg.status)),
        ),
      );
      // The person can react to what the business sent (once the sandbox knows the message).
      if (msg.direction === "to_phone" && !msg.local) bubble.append(reactButtonFor(msg));
      if (rich) {
        bubble.append(
          h(
            "div",
            { cls: "actions" },
            ...buttons.map((button) => buttonFor(msg, button)),
            render.list ? listOpenerFor(msg, render.list) : null,
          ),
        );
      }
      return h(
        "div",
        {
          cls: `msg ${outgoing ? "msg-out" : "msg-in"}${rich ? " msg-rich" : ""}${image ? " msg-photo" : ""}${bare ? " msg-photo-bare" : ""}`,
          testid: "message",
          data: { id: msg.id, direction: msg.direction, type: msg.type, status: msg.status, local: msg.local ? "true" : null },
        },
        bubble,
      );
    }

    // -- the message column --

    function nearBottom() {
      return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 120;
    }

    function scrollToEnd() {
      chat.scrollTop = chat.scrollHeight;
    }

    /** Day dividers and bubble tails depend on neighbours, so they are redrawn after every change. */
    function relayout() {
      column.querySelectorAll(".day").forEach((node) => node.remove());
      let previousDay = null;
      let previousDirection = null;
      for (const node of column.querySelectorAll('[data-testid="message"]')) {
        const entry = messages.get(node.dataset.id);
        if (!entry) continue;
        const day = dayOf(entry.msg.timestamp);
        if (day !== previousDay) {
          node.before(h("div", { cls: "day", testid: "day", text: day }));
          previousDirection = null;
        }
        node.classList.toggle("first", entry.msg.direction !== previousDirection);
        previousDay = day;
        previousDirection = entry.msg.direction;
      }
    }

    function merged(old, incoming) {
      if (!old) return incoming;
      const keep = (STATUS_RANK[old.status] ?? -1) > (STATUS_RANK[incoming.status] ?? -1);
      return { ...old, ...incoming, status: keep ? old.status : incoming.status };
    }

    /** Places a reaction on the message it reacts to; a reaction with no emoji takes it away. */
    function applyReaction(msg) {
      const target = msg.context_id && messages.get(msg.context_id);
      if (!target || target.msg.type === "reaction") return false;
      setBadge(target.node, (msg.render && msg.render.body) || "");
      return true;
    }

    function setBadge(node, emoji) {
      node.querySelector(".reaction")?.remove();
      if (emoji) {
        node.append(h("span", { cls: "reaction", testid: "reaction-badge", text: emoji, attrs: { title: `You reacted ${emoji}` } }));
      }
    }

    /** The stream can bring the person's message before the POST answers: it then takes its placeholder's place. */
    function adoptPlaceholder(incoming) {
      const body = incoming.render && incoming.render.body;
      for (const [id, entry] of messages) {
        const local = entry.msg;
        if (
          local.local &&
          local.status !== "failed" &&
          local.type === incoming.type &&
          local.render.body === body &&
          local.context_id === (incoming.context_id || null)
        ) {
          rememberSample(incoming.id, local.sample);
          remove(id);
          return;
        }
      }
    }

    /** Adds a message or brings an existing one up to date; returns whether it was new. */
    function sameContent(a, b) {
      return (
        a.type === b.type &&
        a.timestamp === b.timestamp &&
        a.context_id === b.context_id &&
        JSON.stringify(a.render) === JSON.stringify(b.render)
      );
    }

    /** Where a new message goes: usually last; an older one (a late load) slots in by its timestamp. */
    function insertionPoint(timestamp) {
      const last = column.lastElementChild;
      const lastEntry = last && messages.get(last.dataset.id);
      if (!lastEntry || Number(lastEntry.msg.timestamp) <= timestamp) return null;
      for (const other of column.querySelectorAll('[data-testid="message"]')) {
        const entry = messages.get(other.dataset.id);
        if (entry && Number(entry.msg.timestamp) > timestamp) return other;
      }
      return null;
    }

    /** Adds a message or brings an existing one up to date; `batch` leaves layout and scrolling to the caller. */
    function upsert(incoming, { batch = false } = {}) {
      if (!incoming || !incoming.id) return false;
      const existing = messages.get(incoming.id);
      if (!existing && !incoming.local && incoming.direction === "from_phone") adoptPlaceholder(incoming);
      let msg = merged(existing && existing.msg, incoming);
      const early = earlyStatuses.get(msg.id);
      if (early) {
        earlyStatuses.delete(msg.id);
        msg = merged(msg, { ...msg, status: early });
      }
      if (msg.type === "reaction" && applyReaction(msg)) {
        messages.set(msg.id, { msg, node: existing ? existing.node : h("span", { data: { id: msg.id } }) });
        return !existing;
      }
      if (existing && sameContent(existing.msg, msg)) {
        // Seen before (a reload of the chat): only the ticks can have moved; the node and its focus stay.
        applyStatus({ id: msg.id, status: msg.status });
        return false;
      }
      const stick = !batch && (nearBottom() || msg.direction === "from_phone");
      const node = buildNode(msg);
      const reaction = existing && existing.node.querySelector(".reaction");
      if (reaction) node.append(reaction);
      if (existing) existing.node.replaceWith(node);
      else column.insertBefore(node, insertionPoint(Number(msg.timestamp)));
      messages.set(msg.id, { msg, node });
      if (!batch) relayout();
      if (stick) scrollToEnd();
      return !existing;
    }

    function remove(id) {
      const entry = messages.get(id);
      if (!entry) return;
      entry.node.remove();
      messages.delete(id);
      relayout();
    }

    function applyStatus({ id, status }) {
      const entry = messages.get(id);
      if (!entry) {
        earlyStatuses.set(id, status);
        return;
      }
      const msg = merged(entry.msg, { ...entry.msg, status });
      if (msg.status === entry.msg.status) return;
      entry.msg = msg;
      entry.node.dataset.status = msg.status;
      entry.node.querySelector('[data-testid="ticks"]')?.replaceWith(ticksFor(msg.status));
    }

    // -- reading --

    /** While the page is in view, delivered messages from the business are read: the blue ticks go out. */
    function scheduleRead() {
      clearTimeout(readTimer);
      readTimer = setTimeout(markRead, 120);
    }

    async function markRead() {
      if (document.visibilityState !== "visible") return;
      const unread = [...messages.values()]
        .map((entry) => entry.msg)
        .filter((msg) => msg.direction === "to_phone" && msg.status === "delivered" && !readRequested.has(msg.id));
      if (unread.length === 0) return;
      unread.forEach((msg) => readRequested.add(msg.id));
      try {
        await postJson(`${base}/read`);
      } catch (error) {
        unread.forEach((msg) => readRequested.delete(msg.id));
        showBanner(`Could not mark the chat as read: ${error.message}`, "error");
      }
    }

    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") scheduleRead();
    });

    // -- loading and live updates --

    async function load() {
      try {
        const data = await getJson(`${base}/messages?limit=${HISTORY_LIMIT}`);
        showPhone(data.phone);
        const stick = messages.size === 0 || nearBottom();
        for (const msg of data.messages || []) upsert(msg, { batch: true });
        relayout();
        if (stick) scrollToEnd();
        scheduleRead();
      } catch (error) {
        if (error.status === 404) {
          showPhone(null);
          showBanner("The sandbox has no chat with this number yet: what the business sends to it appears here.");
        } else {
          showBanner(`Could not load the chat: ${error.message}`, "error");
        }
      }
    }

    /** An event's JSON, or null: a comment line (the stream's keepalive) can reach the page as an empty event. */
    function eventData(event) {
      if (!event.data || !event.data.trim()) return null;
      try {
        return JSON.parse(event.data);
      } catch {
        return null;
      }
    }

    let events = null;
    let retryDelay = 500;

    function connect() {
      events = new EventSource(`${base}/events`);
      events.addEventListener("open", () => {
        retryDelay = 500;
        setConnection("live", "Live: new messages and ticks arrive as they happen");
        if (banner.dataset.kind === "error") showBanner("");
        load(); // whatever happened while the stream was down
      });
      events.addEventListener("message", (event) => {
        const msg = eventData(event);
        if (!msg) return;
        upsert(msg);
        if (msg.direction === "to_phone") {
          showTyping(false);
          scheduleRead();
        }
      });
      events.addEventListener("typing", () => showTyping(true));
      events.addEventListener("status", (event) => {
        const update = eventData(event);
        if (!update) return;
        applyStatus(update);
        if (update.status === "delivered") scheduleRead();
      });
      events.addEventListener("error", () => {
        if (events.readyState === EventSource.CLOSED) {
          // The browser gives up on an error status; try again ourselves, more slowly each time.
          setConnection("offline", "Not connected to the sandbox; retrying");
          setTimeout(connect, retryDelay);
          retryDelay = Math.min(retryDelay * 2, 10000);
        } else {
          setConnection("connecting", "Reconnecting to the sandbox…");
        }
      });
    }

    // -- sending --

    /** Sends what the person did; the bubble shows at once with a clock and settles when the sandbox answers. */
    async function sendFromPhone(payload, preview) {
      const localId = `local-${++localSequence}`;
      upsert({
        id: localId,
        local: true,
        direction: "from_phone",
        timestamp: Math.floor(Date.now() / 1000),
        type: preview.type,
        sample: preview.sample,
        status: "accepted",
        context_id: preview.context || payload.context || null,
        render: { header: null, body: preview.body, footer: null, buttons: [], list: null },
      });
      try {
        const answer = await postJson(`${base}/messages`, payload);
        if (banner.dataset.kind === "error") showBanner("");
        const placeholder = messages.get(localId);
        remove(localId);
        if (placeholder) rememberSample(answer.id, placeholder.msg.sample);
        if (placeholder && answer.id && !messages.has(answer.id)) {
          // The stream usually brings the message first; if not, keep ours until the next load.
          upsert({ ...placeholder.msg, id: answer.id, local: false, status: "sent" });
          setTimeout(load, 1000);
        }
        return true;
      } catch (error) {
        showBanner(`Not sent: ${error.message}`, "error");
        if (preview.type === "reaction") {
          remove(localId); // a refused reaction leaves no bubble: the caller puts the previous badge back
          return false;
        }
        applyStatus({ id: localId, status: "failed" });
        messages.get(localId)?.node.setAttribute("title", error.message);
        return false;
      }
    }

    function autosize() {
      composer.style.height = "auto";
      composer.style.height = `${Math.min(composer.scrollHeight, 120)}px`;
    }

    async function sendTyped() {
      const text = composer.value.trim();
      if (!text) return;
      composer.value = "";
      autosize();
      const sent = await sendFromPhone({ text }, { type: "text", body: text });
      if (!sent && !composer.value) composer.value = text; // give the words back to retry
      composer.focus();
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sendTyped();
    });
    composer.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter breaks the line; never while an input method is composing a character.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        sendTyped();
      }
    });
    composer.addEventListener("input", autosize);

    // -- sending a sample photo --

    const attachButton = document.querySelector('[data-testid="attach"]');
    const attachMenu = document.querySelector('[data-testid="attach-menu"]');
    const attachCaption = attachMenu.querySelector('[data-testid="attach-caption"]');

    function openAttach() {
      const caption = composer.value.trim();
      attachCaption.textContent = caption ? `Caption: ${caption}` : "Type in the message box first to add a caption.";
      attachCaption.classList.toggle("attach-caption-set", Boolean(caption));
      attachMenu.hidden = false;
      attachButton.setAttribute("aria-expanded", "true");
      attachMenu.querySelector("button")?.focus();
    }

    function closeAttach({ refocus = false } = {}) {
      if (attachMenu.hidden) return;
      attachMenu.hidden = true;
      attachButton.setAttribute("aria-expanded", "false");
      if (refocus) attachButton.focus();
    }

    async function sendPhoto(sample) {
      const caption = composer.value.trim();
      if (caption.length > CAPTION_LIMIT) {
        toast(`A photo's caption can have at most ${CAPTION_LIMIT.toLocaleString("en")} characters.`);
        return;
      }
      composer.value = "";
      autosize();
      const sent = await sendFromPhone(caption ? { image: { caption } } : { image: {} }, { type: "image", body: caption, sample });
      if (!sent && !composer.value) composer.value = caption; // give the caption back to retry
      composer.focus();
    }

    attachButton.addEventListener("click", () => (attachMenu.hidden ? openAttach() : closeAttach()));
    for (const option of attachMenu.querySelectorAll('[data-testid="attach-option"]')) {
      option.addEventListener("click", () => {
        closeAttach();
        sendPhoto(option.dataset.sample);
      });
    }

    // -- reacting to the business's messages --

    function reactButtonFor(msg) {
      const node = h(
        "button",
        { cls: "react", testid: "react", attrs: { type: "button", "aria-label": "React", title: "React", "aria-haspopup": "menu", "aria-expanded": "false" } },
        ICONS.smiley(),
      );
      node.addEventListener("click", () => {
        const open = openPicker && openPicker.opener === node;
        closePicker();
        if (!open) showPicker(msg, node);
      });
      return node;
    }

    function showPicker(msg, opener) {
      const row = opener.closest('[data-testid="message"]');
      const current = row.querySelector(".reaction")?.textContent || "";
      const picker = h(
        "div",
        { cls: "reaction-picker", testid: "reaction-picker", attrs: { role: "menu", "aria-label": "React to this message" } },
        ...REACTIONS.map((emoji) => {
          const option = h("button", {
            cls: "reaction-option",
            testid: "reaction-option",
            text: emoji,
            data: { emoji },
            attrs: { type: "button", role: "menuitemradio", "aria-checked": String(emoji === current), "aria-label": `React ${emoji}` },
          });
          option.addEventListener("click", () => {
            closePicker({ refocus: true });
            react(msg, emoji);
          });
          return option;
        }),
      );
      // Below the bubble when there is no room above it in the chat.
      const room = opener.closest(".bubble").getBoundingClientRect().top - chat.getBoundingClientRect().top;
      picker.classList.toggle("below", room < 56);
      row.append(picker);
      opener.setAttribute("aria-expanded", "true");
      row.classList.add("picking");
      openPicker = { picker, opener, row };
      picker.querySelector("button")?.focus();
    }

    function closePicker({ refocus = false } = {}) {
      if (!openPicker) return;
      const { picker, opener, row } = openPicker;
      openPicker = null;
      picker.remove();
      row.classList.remove("picking");
      opener.setAttribute("aria-expanded", "false");
      if (refocus && opener.isConnected) opener.focus();
    }

    /** The person reacts: the badge shows at once and goes back to what it was if the sandbox refuses. */
    async function react(msg, emoji) {
      const entry = messages.get(msg.id);
      if (!entry) return;
      const before = entry.node.querySelector(".reaction")?.textContent || "";
      if (before === emoji) return; // the phone API cannot take a reaction away, so choosing it again does nothing
      const sent = await sendFromPhone({ reaction: { message_id: msg.id, emoji } }, { type: "reaction", body: emoji, context: msg.id });
      const target = messages.get(msg.id);
      if (!sent && target) setBadge(target.node, before);
    }

    document.addEventListener("pointerdown", (event) => {
      if (!attachMenu.hidden && !attachMenu.contains(event.target) && !attachButton.contains(event.target)) closeAttach();
      if (openPicker && !openPicker.picker.contains(event.target) && !openPicker.opener.contains(event.target)) closePicker();
    });

    // -- the list's bottom sheet --

    function openSheet(msg, list, opener) {
      sheetReturnFocus = opener;
      sheetTitle.textContent = list.button || "Options";
      sheetBody.replaceChildren(
        ...(list.sections || []).flatMap((section) => [
          section.title ? h("h3", { cls: "sheet-section-title", text: section.title }) : null,
          ...(section.rows || []).map((row) => {
            const node = h(
              "button",
              { cls: "sheet-row", testid: "list-row", data: { id: row.id }, attrs: { type: "button" } },
              h(
                "span",
                { cls: "sheet-row-text" },
                h("span", { cls: "sheet-row-title", text: row.title }),
                row.description ? h("span", { cls: "sheet-row-description", text: row.description }) : null,
              ),
              h("span", { cls: "sheet-radio", attrs: { "aria-hidden": "true" } }),
            );
            node.addEventListener("click", () => {
              closeSheet();
              const reply = { id: row.id, title: row.title };
              if (row.description) reply.description = row.description;
              sendFromPhone({ list_reply: reply, context: msg.id }, { type: "interactive", body: row.title });
            });
            return node;
          }),
        ].filter(Boolean)),
      );
      sheet.hidden = false;
      sheetBody.querySelector("button")?.focus();
    }

    function closeSheet() {
      if (sheet.hidden) return;
      sheet.hidden = true;
      sheetReturnFocus?.focus();
    }

    sheet.addEventListener("click", (event) => {
      if (event.target === sheet) closeSheet();
    });
    sheet.querySelector('[data-testid="list-close"]').addEventListener("click", closeSheet);
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      closeSheet();
      closeAttach({ refocus: true });
      closePicker({ refocus: true });
    });

    connect();
    load();
  }


  document.addEventListener("DOMContentLoaded", startChat);
})();
