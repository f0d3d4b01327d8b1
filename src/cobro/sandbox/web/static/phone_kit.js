// What both phone pages share: building DOM safely, icons, the phone API over fetch, WhatsApp text formatting.
// Every text from the API reaches the page through textContent or attributes, never through innerHTML.
"use strict";

window.PhoneKit = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  // Higher means further along; a late "delivered" never undoes "read". Failed ends a message's story.
  const STATUS_RANK = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: 4 };
  const STATUS_LABEL = {
    accepted: "Sending",
    sent: "Sent",
    delivered: "Delivered",
    read: "Read",
    failed: "Failed",
  };

  const phoneApi = (phone) => `/sandbox/phones/${encodeURIComponent(phone)}`;

  // ---- DOM helpers -----------------------------------------------------------------------------------

  /** Builds an element: options {cls, testid, text, attrs, data}; children are nodes or strings. */
  function h(tag, options = {}, ...children) {
    const node = document.createElement(tag);
    if (options.cls) node.className = options.cls;
    if (options.testid) node.dataset.testid = options.testid;
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    for (const [name, value] of Object.entries(options.attrs || {})) {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
    }
    for (const [name, value] of Object.entries(options.data || {})) {
      if (value !== undefined && value !== null) node.dataset[name] = String(value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child);
    }
    return node;
  }

  /** An inline SVG icon from path data, coloured by currentColor. */
  function icon(paths, { width = 16, height = 16, viewBox = "0 0 24 24", stroke = false } = {}) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", viewBox);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("aria-hidden", "true");
    for (const d of paths) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      if (stroke) {
        path.setAttribute("fill", "none");
        path.setAttribute("stroke", "currentColor");
        path.setAttribute("stroke-width", "1.6");
        path.setAttribute("stroke-linecap", "round");
        path.setAttribute("stroke-linejoin", "round");
      } else {
        path.setAttribute("fill", "currentColor");
      }
      svg.append(path);
    }
    return svg;
  }

  const ICONS = {
    tick: () => icon(["M1.5 6.2 4.6 9.3 10.6 2.6"], { width: 12, height: 11, viewBox: "0 0 12 11", stroke: true }),
    ticks: () =>
      icon(["M1 6.2 4.1 9.3 10.1 2.6", "M7.6 8.9 8.1 9.3 14.1 2.6"], {
        width: 16,
        height: 11,
        viewBox: "0 0 16 11",
        stroke: true,
      }),
    clock: () =>
      icon(["M6 1.2a4.8 4.8 0 1 0 0 9.6 4.8 4.8 0 0 0 0-9.6Z", "M6 3.4V6l1.8 1.2"], {
        width: 12,
        height: 12,
        viewBox: "0 0 12 12",
        stroke: true,
      }),
    failed: () =>
      icon(["M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1Zm-.9 3.5h1.8v5H7.1zm0 6.2h1.8v1.8H7.1z"], {
        width: 14,
        height: 14,
        viewBox: "0 0 16 16",
      }),
    reply: () => icon(["M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11Z"]),
    external: () =>
      icon(["M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2Z"]),
    call: () =>
      icon([
        "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1Z",
      ]),
    list: () => icon(["M3 5h2v2H3zm4 0h14v2H7zM3 11h2v2H3zm4 0h14v2H7zm-4 6h2v2H3zm4 0h14v2H7z"]),
    smiley: () =>
      icon([
        "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16Zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3ZM12 17.5c2.3 0 4.3-1.5 5.1-3.5H6.9c.8 2 2.8 3.5 5.1 3.5Z",
      ], { width: 18, height: 18 }),
  };

  /** Turns an error response (Graph's {"error": {...}} or Litestar's {"detail"}) into one readable line. */
  async function errorText(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: the status line says enough
    }
    const error = body && body.error;
    if (error && typeof error === "object") {
      const details = error.error_data && error.error_data.details;
      const message = error.message || "Error";
      const code = error.code && !message.includes(`#${error.code}`) ? ` (${error.code})` : "";
      return `${message}${code}${details ? `: ${details}` : ""}`;
    }
    if (body && body.detail) return `${response.status}: ${body.detail}`;
    return `${response.status} ${response.statusText}`.trim();
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) {
      const error = new Error(await errorText(response));
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  async function postJson(url, payload) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    if (!response.ok) {
      const error = new Error(await errorText(response));
      error.status = response.status;
      throw error;
    }
    return response.status === 204 ? {} : response.json().catch(() => ({}));
  }

  /** Who the phone is, as WhatsApp would show it: name, then username, then the number when it has a wa_id. */
  function identityParts(phone, fallbackNumber) {
    if (!phone) return { title: fallbackNumber, detail: "" };
    const usernameOnly = phone.username && !phone.wa_id;
    const shown = usernameOnly ? phone.username : phone.phone || fallbackNumber;
    const extra = [phone.username && !usernameOnly ? phone.username : null, phone.on_whatsapp === false ? "not on WhatsApp" : null];
    return {
      title: phone.name || shown,
      detail: [phone.name ? shown : null, ...extra].filter(Boolean).join(" · "),
    };
  }

  // ---- WhatsApp text formatting -------------------------------------------------------------------------

  const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/g;
  // *bold*, _italic_, ~strike~ and `code` only between word boundaries, as WhatsApp does.
  const STYLE_PATTERN = /(^|[\s([{"'¡¿])([*_~`])(?!\s)([^\n]*?\S)\2(?=$|[\s.,;:!?)\]}"'])/g;
  const STYLE_TAG = { "*": "strong", _: "em", "~": "s", "`": "code" };

  function appendStyled(parent, text) {
    let last = 0;
    for (const match of text.matchAll(STYLE_PATTERN)) {
      const [whole, lead, marker, inner] = match;
      parent.append(text.slice(last, match.index) + lead);
      parent.append(h(STYLE_TAG[marker], { text: inner }));
      last = match.index + whole.length;
    }
    parent.append(text.slice(last));
  }

  function appendLinked(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      appendStyled(parent, text.slice(last, match.index));
      parent.append(h("a", { text: match[0], attrs: { href: match[0], target: "_blank", rel: "noopener noreferrer" } }));
      last = match.index + match[0].length;
    }
    appendStyled(parent, text.slice(last));
  }

  /** Fills `parent` with `text`, WhatsApp's markup shown as styles; ```blocks``` stay monospace. */
  function appendFormatted(parent, text) {
    const parts = String(text).split("```");
    parts.forEach((part, index) => {
      // Odd parts sat between ``` fences; an unclosed fence is shown as typed.
      if (index % 2 === 1 && index < parts.length - 1) parent.append(h("pre", { text: part }));
      else appendLinked(parent, index % 2 === 1 ? "```" + part : part);
    });
  }


  return {
    STATUS_RANK,
    STATUS_LABEL,
    ICONS,
    phoneApi,
    h,
    getJson,
    postJson,
    identityParts,
    appendFormatted,
  };
})();
