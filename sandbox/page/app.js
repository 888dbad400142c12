/* pmf-bot sandbox: a small Slack client for the sandbox's JSON API (handlers/sandbox.py).
 *
 * Vanilla JS, no build step, nothing from the network but the sandbox itself. Every piece of
 * text from the bot or a person is put in the page with textContent / createElement, never as
 * HTML. The page polls GET /sandbox/api/state?user=… every second and re-renders only what
 * changed, so the scroll position, open threads and anything being typed survive.
 */
"use strict";

(() => {
  const API = "/sandbox/api";
  const POLL_MS = 1000;
  const STORE = "pmf-sandbox";

  // -- emoji ----------------------------------------------------------------------------------

  // Shortcode → [Unicode, fallback symbol for machines with no colour-emoji font, colour class].
  const EMOJI = {
    red_circle: ["🔴", "", "dot-red"],
    large_orange_circle: ["🟠", "", "dot-amber"],
    large_green_circle: ["🟢", "", "dot-green"],
    white_circle: ["⚪", "", "dot-grey"],
    black_circle: ["⚫", "", "dot-black"],
    large_blue_circle: ["🔵", "", "dot-blue"],
    large_yellow_circle: ["🟡", "", "dot-yellow"],
    heavy_minus_sign: ["➖", "−", "fg-grey"],
    heavy_plus_sign: ["➕", "+", "fg-grey"],
    white_check_mark: ["✅", "✔", "fg-green"],
    heavy_check_mark: ["✔️", "✔", "fg-green"],
    x: ["❌", "✘", "fg-red"],
    warning: ["⚠️", "⚠", "fg-amber"],
    alarm_clock: ["⏰", "◷", "fg-red"],
    rotating_light: ["🚨", "⚑", "fg-red"],
    arrow_upper_right: ["↗️", "↗", "fg-blue"],
    arrow_lower_right: ["↘️", "↘", "fg-blue"],
    left_right_arrow: ["↔️", "↔", "fg-blue"],
    arrow_right: ["➡️", "→", "fg-blue"],
    arrows_counterclockwise: ["🔄", "↻", "fg-blue"],
    leftwards_arrow_with_hook: ["↩️", "↩", "fg-blue"],
    busts_in_silhouette: ["👥", "☺", "fg-grey"],
    clipboard: ["📋", "☰", "fg-grey"],
    memo: ["📝", "✎", "fg-grey"],
    pencil2: ["✏️", "✎", "fg-grey"],
    eyes: ["👀", "◉", "fg-grey"],
    hourglass: ["⌛", "◔", "fg-amber"],
    hourglass_flowing_sand: ["⏳", "◔", "fg-amber"],
    inbox_tray: ["📥", "✉", "fg-blue"],
    envelope: ["✉️", "✉", "fg-blue"],
    information_source: ["ℹ️", "ℹ", "fg-blue"],
    no_entry: ["⛔", "⊘", "fg-red"],
    palm_tree: ["🌴", "☀", "fg-green"],
    tada: ["🎉", "★", "fg-amber"],
    thinking_face: ["🤔", "?", "fg-grey"],
    wave: ["👋", "☺", "fg-amber"],
    bar_chart: ["📊", "▥", "fg-blue"],
    chart_with_upwards_trend: ["📈", "↗", "fg-green"],
    chart_with_downwards_trend: ["📉", "↘", "fg-red"],
    calendar: ["📆", "▦", "fg-grey"],
    date: ["📅", "▦", "fg-grey"],
    bell: ["🔔", "♪", "fg-amber"],
    pushpin: ["📌", "⚲", "fg-red"],
    question: ["❓", "?", "fg-red"],
    exclamation: ["❗", "!", "fg-red"],
    lock: ["🔒", "⚿", "fg-grey"],
    mag: ["🔍", "⚲", "fg-grey"],
    speech_balloon: ["💬", "❝", "fg-grey"],
    point_right: ["👉", "☞", "fg-amber"],
    "+1": ["👍", "✔", "fg-green"],
    thumbsup: ["👍", "✔", "fg-green"],
    star: ["⭐", "★", "fg-amber"],
    smile: ["😄", "☺", "fg-amber"],
    slightly_smiling_face: ["🙂", "☺", "fg-amber"],
  };

  /** True when the browser draws colour emoji (else we draw small symbols instead of boxes). */
  const COLOUR_EMOJI = (() => {
    try {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 16;
      const c = canvas.getContext("2d", { willReadFrequently: true });
      c.textBaseline = "top";
      c.font = "14px sans-serif";
      c.fillStyle = "#000";
      c.fillText("✅", 0, 0);
      const data = c.getImageData(0, 0, 16, 16).data;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0 && (Math.abs(data[i] - data[i + 1]) > 40 || Math.abs(data[i + 1] - data[i + 2]) > 40)) {
          return true;
        }
      }
    } catch (error) {
      return true;
    }
    return false;
  })();

  // -- what the page remembers ----------------------------------------------------------------

  const ui = {
    me: null, // the person's user id
    current: null, // conversation id, or "home"
    state: null,
    openThreads: new Set(), // ts of parents whose replies are shown
    replyTo: null, // {channel, ts, label}
    renderedKey: "",
    renderedFor: "",
    sidebarKey: "",
    peopleKey: "",
    modal: { id: null, hash: null, errors: {}, returnFocus: null },
    closedViews: new Set(),
    seen: {}, // user → conversation → count of messages seen
    polling: false,
    pollAgain: false,
    online: true,
  };

  // -- small helpers --------------------------------------------------------------------------

  const $ = (selector) => document.querySelector(selector);

  /** createElement with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else node.setAttribute(key, value === true ? "" : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(name, body) {
    const options =
      body === undefined
        ? { cache: "no-store" }
        : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(`${API}/${name}`, options);
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `The sandbox answered ${response.status} ${response.statusText}`);
    }
    return data;
  }

  function toast(text, kind = "info") {
    const box = el(
      "div",
      { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : null },
      el("span", { class: "toast-text" }, text),
      el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => box.remove() }, "×"),
    );
    $("#toasts").append(box);
    setTimeout(() => box.remove(), kind === "error" ? 12000 : 7000);
  }

  /** The bot's answer to a command, click or submission: {status, response}. */
  /** `shown`: the answer already appears as a message (a slash command's reply is an
   * ephemeral in the DM, as in Slack), so only a failure is worth a toast. */
  function checkAnswer(answer, what, { shown = false } = {}) {
    if (!answer) return;
    if (answer.status && answer.status !== 200) {
      toast(`pmf-bot answered the ${what} with HTTP ${answer.status}.`, "error");
      return;
    }
    if (shown) return;
    const response = answer.response;
    if (response && typeof response === "object" && typeof response.text === "string" && response.text) {
      toast(`pmf-bot: ${decodeEntities(response.text)}`);
    } else if (typeof response === "string" && response.trim()) {
      toast(`pmf-bot: ${response.trim()}`);
    }
  }

  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /** '2026-07-01T09:05:00+01:00' → 'Wed 01 Jul 09:05', read as written (the council's time). */
  function shortTime(iso) {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(iso || "");
    if (!m) return "";
    const weekday = WEEKDAYS[new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()];
    return `${weekday} ${m[3]} ${MONTHS[+m[2] - 1]} ${m[4]}:${m[5]}`;
  }

  /** '2026-08-05T09:00:00+01:00' → '09:00'. */
  function clockTime(iso) {
    const m = /T(\d\d):(\d\d)/.exec(iso || "");
    return m ? `${m[1]}:${m[2]}` : "";
  }

  const LONG_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

  /** '2026-08-05T09:00:00+01:00' → 'Wednesday 05 Aug 2026' (the day separator's words). */
  function dayWords(iso) {
    const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(iso || "");
    if (!m) return "";
    const weekday = LONG_WEEKDAYS[new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()];
    return `${weekday} ${m[3]} ${MONTHS[+m[2] - 1]} ${m[1]}`;
  }

  const dayOf = (iso) => String(iso || "").slice(0, 10);

  function safeUrl(url) {
    const text = String(url || "").trim();
    if (/^(https?:|mailto:)/i.test(text)) return text;
    if (text.startsWith("/") && !text.startsWith("//")) return text;
    return null;
  }

  // -- mrkdwn ---------------------------------------------------------------------------------

  const PLACEHOLDER = 0xe000;

  function decodeEntities(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emojiNode(name) {
    const found = EMOJI[name];
    if (!found) return null;
    const [unicode, fallback, colour] = found;
    const label = name.replace(/_/g, " ");
    if (colour.startsWith("dot-")) {
      return el("span", { class: `emoji dot ${colour}`, role: "img", "aria-label": label, title: `:${name}:` });
    }
    if (COLOUR_EMOJI || !fallback) {
      return el("span", { class: "emoji", role: "img", "aria-label": label, title: `:${name}:` }, unicode);
    }
    return el("span", { class: `emoji emoji-fallback ${colour}`, role: "img", "aria-label": label, title: `:${name}:` }, fallback);
  }

  /** Text with :shortcodes: turned into emoji; unknown shortcodes stay as they were typed. */
  function emojiText(text) {
    const out = [];
    const pattern = /:([a-z0-9_+-]+):/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text))) {
      const node = emojiNode(match[1]);
      if (!node) {
        pattern.lastIndex = match.index + 1; // the closing colon may open the next one
        continue;
      }
      if (match.index > last) out.push(text.slice(last, match.index));
      out.push(node);
      last = match.index + match[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  function personName(id) {
    const people = (ui.state && ui.state.people) || [];
    const found = people.find((p) => p.id === id);
    return found ? found.name : id;
  }

  function conversationName(id) {
    const conversations = (ui.state && ui.state.conversations) || [];
    const found = conversations.find((c) => c.id === id);
    return found ? found.name.replace(/^#/, "") : id;
  }

  function linkNode(inner) {
    const bar = inner.indexOf("|");
    const target = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? inner.slice(bar + 1) : "";
    if (target.startsWith("#C") || target.startsWith("#G") || target.startsWith("#D")) {
      return el("span", { class: "mention" }, `#${label || conversationName(target.slice(1))}`);
    }
    if (target.startsWith("@U") || target.startsWith("@W")) {
      return el("span", { class: "mention" }, `@${label || personName(target.slice(1))}`);
    }
    if (target.startsWith("!")) {
      const special = target.slice(1).split("^")[0];
      return el("span", { class: "mention" }, label || `@${special}`);
    }
    const url = safeUrl(decodeEntities(target));
    if (!url) return document.createTextNode(`<${decodeEntities(inner)}>`);
    return el(
      "a",
      { href: url, target: "_blank", rel: "noopener noreferrer" },
      emojiText(decodeEntities(label || target)),
    );
  }

  function plainPieces(text, tokens) {
    const out = [];
    let buffer = "";
    for (const char of text) {
      const code = char.codePointAt(0);
      if (code >= PLACEHOLDER && code < PLACEHOLDER + tokens.length) {
        if (buffer) out.push(...emojiText(decodeEntities(buffer)));
        buffer = "";
        const token = tokens[code - PLACEHOLDER];
        out.push(token.kind === "code" ? el("code", null, decodeEntities(token.text)) : linkNode(token.text));
      } else buffer += char;
    }
    if (buffer) out.push(...emojiText(decodeEntities(buffer)));
    return out;
  }

  const FORMAT = /(?<![A-Za-z0-9])([*_~])(?!\s)([^\n]*?[^\s])\1(?![A-Za-z0-9])/;
  const FORMAT_TAGS = { "*": "strong", _: "em", "~": "del" };

  function formatted(text, tokens) {
    const out = [];
    let rest = text;
    while (rest) {
      const match = FORMAT.exec(rest);
      if (!match) {
        out.push(...plainPieces(rest, tokens));
        break;
      }
      out.push(...plainPieces(rest.slice(0, match.index), tokens));
      out.push(el(FORMAT_TAGS[match[1]], null, formatted(match[2], tokens)));
      rest = rest.slice(match.index + match[0].length);
    }
    return out;
  }

  /** One line of mrkdwn: `code` and <links> first (kept whole), then *bold* _italic_ ~strike~. */
  function inline(line) {
    const tokens = [];
    const hold = (token) => {
      tokens.push(token);
      return String.fromCharCode(PLACEHOLDER + tokens.length - 1);
    };
    let text = line.replace(/[\ue000-\uf8ff]/g, "");
    text = text.replace(/`([^`]+)`/g, (_, code) => hold({ kind: "code", text: code }));
    text = text.replace(/<([^<>\n]+)>/g, (_, inner) => hold({ kind: "link", text: inner }));
    return formatted(text, tokens);
  }

  function lines(text) {
    const out = [];
    let plain = [];
    let list = null;
    let quote = null;
    const flushPlain = () => {
      plain.forEach((line, i) => {
        out.push(...inline(line));
        if (i < plain.length - 1) out.push(el("br"));
      });
      plain = [];
    };
    const flushList = () => {
      if (list) out.push(list);
      list = null;
    };
    const flushQuote = () => {
      if (quote) out.push(quote);
      quote = null;
    };
    for (const line of text.split("\n")) {
      const quoted = /^(?:&gt;|>) ?(.*)$/.exec(line);
      const bullet = /^\s*• ?(.*)$/.exec(line);
      if (quoted) {
        flushPlain();
        flushList();
        if (!quote) quote = el("blockquote", { class: "bk-quote" });
        else quote.append(el("br"));
        append(quote, inline(quoted[1]));
      } else if (bullet) {
        flushPlain();
        flushQuote();
        if (!list) list = el("ul", { class: "bk-list" });
        list.append(el("li", null, inline(bullet[1])));
      } else {
        flushList();
        flushQuote();
        plain.push(line);
      }
    }
    flushPlain();
    flushList();
    flushQuote();
    return out;
  }

  /** Slack mrkdwn → DOM nodes. */
  function mrkdwn(text) {
    const out = [];
    const parts = String(text || "").split("```");
    parts.forEach((part, i) => {
      if (i % 2 === 1 && i < parts.length - 1) {
        out.push(el("pre", { class: "bk-pre" }, decodeEntities(part.replace(/^\n/, "").replace(/\n$/, ""))));
        return;
      }
      let body = i % 2 === 1 ? "```" + part : part; // an unclosed fence is text
      if (i > 0) body = body.replace(/^\n/, ""); // the line break after a closing fence
      if (i < parts.length - 1) body = body.replace(/\n$/, ""); // and before an opening one
      if (body) out.push(...lines(body));
    });
    return out;
  }

  function plainText(obj) {
    if (!obj) return [];
    const text = typeof obj === "string" ? obj : String(obj.text || "");
    return obj.emoji === false ? [text] : emojiText(text);
  }

  function textObject(obj) {
    if (!obj) return [];
    return obj.type === "mrkdwn" ? mrkdwn(obj.text) : plainText(obj);
  }

  // -- Block Kit ------------------------------------------------------------------------------

  function focusKey(ctx, block, element) {
    return [ctx.ts || ctx.view_id || "", (block && block.block_id) || "", element.action_id || "", element.value || ""].join("|");
  }

  async function sendAction(ctx, block, element, value, control) {
    const body = { user: ui.me, action_id: element.action_id, value };
    if (block && block.block_id) body.block_id = block.block_id;
    if (ctx.view_id) body.view_id = ctx.view_id;
    else {
      body.channel = ctx.channel;
      body.message_ts = ctx.ts;
    }
    if (control) {
      control.disabled = true;
      control.setAttribute("aria-busy", "true");
    }
    try {
      checkAnswer(await api("action", body), "click");
    } catch (error) {
      toast(error.message, "error");
    } finally {
      if (control) {
        control.disabled = false;
        control.removeAttribute("aria-busy");
      }
      refreshSoon();
    }
  }

  function optionsOf(element) {
    const groups = element.option_groups || [{ options: element.options || [] }];
    return groups.map((group) => {
      const options = (group.options || []).map((option) =>
        el("option", { value: option.value }, plainText(option.text).map((n) => (n instanceof Node ? n.textContent : n)).join("")),
      );
      return group.label ? el("optgroup", { label: group.label.text || "" }, options) : options;
    });
  }

  function selectElement(element, block, ctx, { inModal = false } = {}) {
    const placeholder = element.placeholder ? element.placeholder.text : "Choose an option";
    const select = el(
      "select",
      {
        class: "bk-select",
        "aria-label": inModal ? null : placeholder,
        "data-fk": focusKey(ctx, block, element),
        "data-action-id": element.action_id || "",
      },
      el("option", { value: "", disabled: true }, placeholder),
      optionsOf(element),
    );
    const initial = element.initial_option ? element.initial_option.value : "";
    select.value = initial;
    if (!initial) select.selectedIndex = 0;
    if (!inModal) {
      select.addEventListener("change", () => sendAction(ctx, block, element, select.value, select));
    }
    return select;
  }

  function imageElement(element, cls) {
    const fileId = element.slack_file && element.slack_file.id;
    const src = safeUrl(fileId ? (ui.state.files || {})[fileId] : element.image_url || (element.slack_file && element.slack_file.url));
    if (!src) return el("span", { class: "bk-missing" }, `[image: ${element.alt_text || "not available"}]`);
    return el("img", { class: cls, src, alt: element.alt_text || "", loading: "lazy" });
  }

  function renderElement(element, block, ctx) {
    switch (element.type) {
      case "button": {
        const styles = { primary: "btn-primary", danger: "btn-danger" };
        const button = el(
          "button",
          {
            type: "button",
            class: `btn bk-button ${styles[element.style] || ""}`,
            "data-fk": focusKey(ctx, block, element),
            "aria-label": element.accessibility_label || null,
          },
          plainText(element.text),
        );
        button.addEventListener("click", () => {
          const url = safeUrl(element.url);
          if (url) window.open(url, "_blank", "noopener");
          sendAction(ctx, block, element, element.value ?? null, button);
        });
        return button;
      }
      case "static_select":
      case "external_select":
        return selectElement(element, block, ctx);
      case "overflow":
        return selectElement({ ...element, placeholder: { text: "More actions" } }, block, ctx);
      case "image":
        return imageElement(element, "bk-accessory-image");
      case "datepicker": {
        const input = el("input", {
          type: "date",
          class: "bk-date",
          value: element.initial_date || "",
          "aria-label": element.placeholder ? element.placeholder.text : "Pick a date",
        });
        input.addEventListener("change", () => sendAction(ctx, block, element, input.value, input));
        return input;
      }
      default:
        return el("span", { class: "bk-unsupported" }, `[${element.type} is not shown in the sandbox]`);
    }
  }

  function renderInput(block, ctx) {
    const element = block.element || {};
    const base = `in-${ctx.view_id || "x"}-${block.block_id}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const hintId = block.hint ? `${base}-hint` : null;
    const errorId = `${base}-error`;
    const label = el(
      "label",
      { for: base, class: "bk-label" },
      plainText(block.label),
      block.optional ? el("span", { class: "bk-optional" }, " (optional)") : null,
    );
    let control;
    const described = [errorId, hintId].filter(Boolean).join(" ");
    if (element.type === "plain_text_input" || element.type === "email_text_input" || element.type === "url_text_input" || element.type === "number_input") {
      const types = { email_text_input: "email", url_text_input: "url", number_input: "text" };
      const attrs = {
        id: base,
        class: "bk-text-input",
        placeholder: element.placeholder ? element.placeholder.text : null,
        maxlength: element.max_length || null,
        minlength: element.min_length || null,
        "aria-describedby": described,
        "aria-required": block.optional ? null : "true",
        "data-action-id": element.action_id || "",
      };
      if (element.multiline) control = el("textarea", { ...attrs, rows: 4 });
      else control = el("input", { ...attrs, type: types[element.type] || "text" });
      control.value = element.initial_value || "";
    } else if (element.type === "static_select") {
      control = selectElement(element, block, ctx, { inModal: true });
      control.id = base;
      control.setAttribute("aria-describedby", described);
    } else {
      control = el("span", { class: "bk-unsupported", id: base }, `[${element.type} is not shown in the sandbox]`);
    }
    return el(
      "div",
      { class: "bk-input", "data-block-id": block.block_id || "", "data-optional": block.optional ? "1" : null },
      label,
      control,
      el("p", { class: "bk-error", id: errorId, hidden: true }),
      block.hint ? el("p", { class: "bk-hint", id: hintId }, plainText(block.hint)) : null,
    );
  }

  function renderBlock(block, ctx) {
    switch (block.type) {
      case "header":
        return el("h3", { class: "bk-header" }, plainText(block.text));
      case "section": {
        const main = el("div", { class: "bk-section-main" });
        if (block.text) main.append(el("div", { class: "bk-text" }, textObject(block.text)));
        if (block.fields && block.fields.length) {
          main.append(el("div", { class: "bk-fields" }, block.fields.map((f) => el("div", { class: "bk-field" }, textObject(f)))));
        }
        return el(
          "div",
          { class: "bk-section" },
          main,
          block.accessory ? el("div", { class: "bk-accessory" }, renderElement(block.accessory, block, ctx)) : null,
        );
      }
      case "context":
        return el(
          "div",
          { class: "bk-context" },
          (block.elements || []).map((e) =>
            e.type === "image" ? imageElement(e, "bk-context-image") : el("span", { class: "bk-context-text" }, textObject(e)),
          ),
        );
      case "divider":
        return el("hr", { class: "bk-divider" });
      case "actions":
        return el("div", { class: "bk-actions" }, (block.elements || []).map((e) => renderElement(e, block, ctx)));
      case "image":
        return el(
          "figure",
          { class: "bk-image" },
          block.title ? el("figcaption", null, plainText(block.title)) : null,
          imageElement(block, "bk-image-img"),
        );
      case "input":
        return renderInput(block, ctx);
      default:
        return el("div", { class: "bk-unsupported" }, `[a ${block.type} block is not shown in the sandbox]`);
    }
  }

  function renderBlocks(blocks, ctx) {
    const wrap = el("div", { class: "bk" });
    for (const block of blocks || []) {
      try {
        wrap.append(renderBlock(block, ctx));
      } catch (error) {
        wrap.append(el("div", { class: "bk-unsupported" }, `[could not show a ${block && block.type} block]`));
      }
    }
    return wrap;
  }

  // -- messages -------------------------------------------------------------------------------

  function initials(name) {
    const words = String(name || "?").replace(/^Cllr /, "").split(/\s+/).filter(Boolean);
    return ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
  }

  function isBot(message) {
    return Boolean(message.bot_id) || message.ephemeral || message.author === "pmf-bot";
  }

  function renderFiles(message) {
    return (message.files || []).map((file) => {
      const url = safeUrl((ui.state.files || {})[file.id]);
      const title = file.title || file.name || file.id;
      if (!url) return el("p", { class: "bk-missing" }, `[file ${title} is not available]`);
      return el(
        "figure",
        { class: "file" },
        el("figcaption", { class: "file-title" }, title),
        el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "file-link" },
          el("img", { src: url, alt: title, class: "file-image", loading: "lazy" })),
      );
    });
  }

  function renderMessage(message, conversation, replies, options = {}) {
    const ctx = { kind: "message", channel: conversation, ts: message.ts };
    const bot = isBot(message);
    const body = el("div", { class: "msg-body" });
    // Each message's own simulated time, stamped by the stand-in when it was sent; the day is
    // on the separator above it (or here, for a thread reply on a later day than its parent).
    const time = message.time || "";
    const shown = options.parentTime && dayOf(options.parentTime) !== dayOf(time) ? shortTime(time) : clockTime(time);
    body.append(
      el(
        "div",
        { class: "msg-meta" },
        el("span", { class: "msg-author" }, message.author || "someone"),
        bot ? el("span", { class: "app-badge" }, "APP") : null,
        el("time", { class: "msg-time", datetime: time, title: `${shortTime(time)} (simulated time)` }, shown),
      ),
    );
    if (message.ephemeral) {
      body.append(el("p", { class: "ephemeral-note" }, el("span", { class: "eye", "aria-hidden": "true" }, "◉"), "Only visible to you"));
    }
    const content = el("div", { class: "msg-content" });
    if (message.blocks && message.blocks.length) content.append(renderBlocks(message.blocks, ctx));
    else if (message.text) content.append(el("div", { class: "bk-text" }, mrkdwn(message.text)));
    append(content, renderFiles(message));
    if (message.edited) content.append(el("span", { class: "edited" }, "(edited)"));
    body.append(content);

    if (replies) {
      const open = ui.openThreads.has(message.ts);
      const tools = el("div", { class: "thread-tools" });
      if (replies.length) {
        tools.append(
          el(
            "button",
            {
              type: "button",
              class: "link-button",
              "aria-expanded": open ? "true" : "false",
              "data-fk": `thread|${message.ts}`,
              onclick: () => toggleThread(message.ts),
            },
            `${replies.length} ${replies.length === 1 ? "reply" : "replies"}${open ? " — hide" : ""}`,
          ),
        );
      }
      if (!message.ephemeral) {
        tools.append(
          el(
            "button",
            { type: "button", class: "link-button reply-link", "data-fk": `reply|${message.ts}`, onclick: () => startReply(message) },
            "Reply in thread",
          ),
        );
      }
      body.append(tools);
      if (open && replies.length) {
        body.append(el("ol", { class: "thread", "aria-label": "Thread replies" }, replies.map((r) => renderMessage(r, conversation, null, { parentTime: message.time }))));
      }
    }
    return el(
      "li",
      { class: `msg${message.ephemeral ? " msg-ephemeral" : ""}${bot ? " msg-bot" : ""}`, "data-ts": message.ts },
      el("div", { class: `avatar${bot ? " avatar-bot" : ""}`, "aria-hidden": "true" }, bot ? "P" : initials(message.author)),
      body,
    );
  }

  function toggleThread(ts) {
    if (ui.openThreads.has(ts)) {
      ui.openThreads.delete(ts);
      if (ui.replyTo && ui.replyTo.ts === ts) {
        ui.replyTo = null;
        renderComposer();
      }
    } else ui.openThreads.add(ts);
    renderMain(ui.state, true);
  }

  function startReply(message) {
    ui.openThreads.add(message.ts);
    const words = decodeEntities(message.text || (message.blocks ? "a message" : "")).replace(/\s+/g, " ");
    ui.replyTo = { channel: ui.current, ts: message.ts, label: words.length > 70 ? `${words.slice(0, 69)}…` : words };
    renderMain(ui.state, true);
    renderComposer();
    $("#composer-input").focus();
  }

  function stopReply() {
    ui.replyTo = null;
    renderComposer();
    $("#composer-input").focus();
  }

  function renderConversation(data, conversation) {
    const messages = data.messages[conversation] || [];
    const present = new Set(messages.map((m) => m.ts));
    const top = [];
    const replies = new Map();
    for (const message of messages) {
      const parent = message.thread_ts && message.thread_ts !== message.ts && present.has(message.thread_ts) ? message.thread_ts : null;
      if (parent) {
        if (!replies.has(parent)) replies.set(parent, []);
        replies.get(parent).push(message);
      } else top.push(message);
    }
    if (!top.length) {
      return el(
        "p",
        { class: "empty" },
        conversation === dmId(data)
          ? "No messages yet. Type /pmf help below, or use the clock to see reminders arrive."
          : "Nothing posted here yet. The bot posts the quarter's RAGG summary on the Performance Board date.",
      );
    }
    const items = [];
    let day = null;
    for (const message of top) {
      if (dayOf(message.time) !== day) {
        day = dayOf(message.time);
        items.push(el("li", { class: "day-divider", role: "separator", "aria-label": dayWords(message.time) }, el("span", null, dayWords(message.time))));
      }
      items.push(renderMessage(message, conversation, replies.get(message.ts) || []));
    }
    return el("ol", { class: "messages", "aria-label": "Messages" }, items);
  }

  function renderHome(data) {
    const home = data.home;
    if (!home) return el("p", { class: "empty" }, "Opening Home…");
    return el("div", { class: "home" }, renderBlocks(home.blocks, { kind: "view", view_id: home.id }));
  }

  // -- the page -------------------------------------------------------------------------------

  function dmId(data) {
    const dm = (data.conversations || []).find((c) => c.kind === "dm");
    return dm ? dm.id : null;
  }

  function renderPeople(data) {
    const key = JSON.stringify(data.people.map((p) => [p.id, p.name, p.roles]));
    const select = $("#person");
    if (key !== ui.peopleKey && document.activeElement !== select) {
      ui.peopleKey = key;
      select.replaceChildren(
        ...data.people.map((p) => el("option", { value: p.id }, `${p.name} — ${p.roles.join("; ")}`)),
      );
    }
    select.value = ui.me;
    const roles = (data.me && data.me.roles) || [];
    const rolesKey = JSON.stringify([ui.me, roles]);
    const list = $("#roles");
    if (list.dataset.key !== rolesKey) {
      list.dataset.key = rolesKey;
      list.replaceChildren(
        ...(data.me ? [el("li", { class: "email" }, data.me.email)] : []),
        ...roles.map((r) => el("li", null, r)),
      );
    }
  }

  function unread(data, conversation) {
    const count = (data.messages[conversation] || []).length;
    const seen = (ui.seen[ui.me] || {})[conversation] || 0;
    return Math.max(0, count - seen);
  }

  function markSeen(data, conversation) {
    if (!conversation || conversation === "home") return;
    ui.seen[ui.me] = ui.seen[ui.me] || {};
    ui.seen[ui.me][conversation] = (data.messages[conversation] || []).length;
  }

  function renderSidebar(data) {
    const items = (data.conversations || []).map((c) => [c, unread(data, c.id)]);
    const key = JSON.stringify([ui.me, ui.current, items.map(([c, n]) => [c.id, c.name, n])]);
    if (key === ui.sidebarKey) return;
    ui.sidebarKey = key;
    const button = (id, label, count, kind) =>
      el(
        "li",
        null,
        el(
          "button",
          {
            type: "button",
            class: `conv conv-${kind}${id === ui.current ? " conv-current" : ""}${count ? " conv-unread" : ""}`,
            "aria-current": id === ui.current ? "page" : null,
            "data-conv": id,
            onclick: () => selectConversation(id),
          },
          el("span", { class: "conv-icon", "aria-hidden": "true" }, kind === "channel" ? "#" : kind === "home" ? "⌂" : "●"),
          el("span", { class: "conv-name" }, label),
          count
            ? el("span", { class: "badge" }, el("span", { class: "visually-hidden" }, ", "), String(count), el("span", { class: "visually-hidden" }, " new"))
            : null,
        ),
      );
    const dms = items.filter(([c]) => c.kind === "dm");
    const channels = items.filter(([c]) => c.kind !== "dm");
    const nav = $("#conversations");
    const focused = document.activeElement && nav.contains(document.activeElement) ? document.activeElement.dataset.conv : null;
    nav.replaceChildren(
      el("h2", { class: "nav-heading" }, "Direct messages"),
      el("ul", { class: "conv-list" }, dms.map(([c, n]) => button(c.id, c.name, n, "dm"))),
      el("h2", { class: "nav-heading" }, "Channels"),
      el("ul", { class: "conv-list" }, channels.map(([c, n]) => button(c.id, c.name.replace(/^#/, ""), n, "channel"))),
      el("h2", { class: "nav-heading" }, "App"),
      el("ul", { class: "conv-list" }, button("home", "Home", 0, "home")),
    );
    if (focused) {
      const again = nav.querySelector(`[data-conv="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  function renderHeader(data) {
    const conversation = (data.conversations || []).find((c) => c.id === ui.current);
    const title = $("#conv-title");
    const sub = $("#conv-sub");
    if (ui.current === "home") {
      title.textContent = "pmf-bot — Home";
      sub.textContent = "The app's Home tab: what you owe and what waits for your review.";
    } else if (conversation && conversation.kind === "dm") {
      title.textContent = "pmf-bot";
      sub.textContent = "Your direct messages with pmf-bot: reminders, review cards and replies to commands.";
    } else {
      title.textContent = conversation ? conversation.name : "";
      sub.textContent = "A channel where pmf-bot posts the quarter's RAGG summary.";
    }
  }

  function renderComposer() {
    const area = $("#composer-area");
    area.hidden = ui.current === "home";
    const name = ui.current === "home" ? "" : ui.current === dmId(ui.state || {}) ? "pmf-bot" : `#${conversationName(ui.current)}`;
    const bar = $("#reply-bar");
    const input = $("#composer-input");
    if (ui.replyTo && ui.replyTo.channel === ui.current) {
      bar.hidden = false;
      $("#reply-label").textContent = `Replying in thread to: ${ui.replyTo.label}`;
      $("#composer-label").textContent = `Reply in thread in ${name}`;
      input.placeholder = "Reply in thread… (the figure first, then a sentence)";
    } else {
      bar.hidden = true;
      $("#composer-label").textContent = `Message ${name}`;
      input.placeholder = `Message ${name}, or type a command such as /pmf help`;
    }
  }

  function renderMain(data, force = false) {
    const current = ui.current;
    const subject = current === "home" ? data.home : data.messages[current];
    const key = JSON.stringify([
      ui.me,
      current,
      subject,
      current === "home" ? null : data.files,
      [...ui.openThreads],
      ui.replyTo && ui.replyTo.ts,
      COLOUR_EMOJI,
    ]);
    if (key === ui.renderedKey && !force) return;
    const switched = ui.renderedFor !== `${ui.me}|${current}`;
    ui.renderedKey = key;
    ui.renderedFor = `${ui.me}|${current}`;

    const scroller = $("#scroller");
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
    const top = scroller.scrollTop;
    const active = document.activeElement;
    const focusKeyWas = active && scroller.contains(active) ? active.getAttribute("data-fk") : null;

    const pane = $("#pane");
    pane.replaceChildren(current === "home" ? renderHome(data) : renderConversation(data, current));

    const stick = switched || (atBottom && current !== "home");
    const place = () => {
      if (stick) scroller.scrollTop = scroller.scrollHeight;
      else scroller.scrollTop = top;
    };
    place();
    if (stick) {
      for (const img of pane.querySelectorAll("img")) {
        if (!img.complete) img.addEventListener("load", () => {
          if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 400) scroller.scrollTop = scroller.scrollHeight;
        }, { once: true });
      }
    }
    if (switched && current === "home") scroller.scrollTop = 0;
    if (focusKeyWas) {
      const again = pane.querySelector(`[data-fk="${CSS.escape(focusKeyWas)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  // -- the modal ------------------------------------------------------------------------------

  function modalValues() {
    const values = {};
    for (const wrap of document.querySelectorAll("#modal-root .bk-input")) {
      const control = wrap.querySelector("[data-action-id]");
      if (!control) continue;
      const block = wrap.getAttribute("data-block-id");
      values[block] = values[block] || {};
      values[block][control.getAttribute("data-action-id")] = control.value;
    }
    return values;
  }

  function showModalErrors(errors) {
    ui.modal.errors = errors || {};
    const root = $("#modal-root");
    const unplaced = [];
    let first = null;
    for (const wrap of root.querySelectorAll(".bk-input")) {
      const block = wrap.getAttribute("data-block-id");
      const message = ui.modal.errors[block];
      const error = wrap.querySelector(".bk-error");
      const control = wrap.querySelector("input, textarea, select");
      error.textContent = message || "";
      error.hidden = !message;
      wrap.classList.toggle("bk-input-invalid", Boolean(message));
      if (control) {
        if (message) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
      if (message && !first) first = control;
    }
    const placed = new Set([...root.querySelectorAll(".bk-input")].map((w) => w.getAttribute("data-block-id")));
    for (const [block, message] of Object.entries(ui.modal.errors)) if (!placed.has(block)) unplaced.push(message);
    const summary = root.querySelector(".modal-error");
    if (summary) {
      summary.textContent = unplaced.join(" ");
      summary.hidden = !unplaced.length;
    }
    return first;
  }

  function closeModal() {
    $("#modal-root").replaceChildren();
    $("#app").inert = false;
    document.body.classList.remove("modal-open");
    const back = ui.modal.returnFocus;
    ui.modal = { id: null, hash: null, errors: {}, returnFocus: null };
    if (back && document.contains(back)) back.focus();
    else $("#composer-input").focus();
  }

  async function submitModal(view, form) {
    const values = modalValues();
    const missing = {};
    for (const wrap of form.querySelectorAll(".bk-input")) {
      const control = wrap.querySelector("[data-action-id]");
      if (!wrap.getAttribute("data-optional") && control && !String(control.value).trim()) {
        missing[wrap.getAttribute("data-block-id")] = "Please complete this required field.";
      }
    }
    if (Object.keys(missing).length) {
      const first = showModalErrors(missing);
      if (first) first.focus();
      return;
    }
    const submit = form.querySelector(".modal-submit");
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      const answer = await api("submit", { user: ui.me, view_id: view.id, values });
      const response = answer && answer.response;
      if (response && response.response_action === "errors") {
        const first = showModalErrors(response.errors);
        if (first) first.focus();
      } else if (answer && answer.status !== 200) {
        toast(`pmf-bot answered the form with HTTP ${answer.status}.`, "error");
      } else {
        ui.closedViews.add(view.id);
        closeModal();
      }
    } catch (error) {
      toast(error.message, "error");
    } finally {
      if (document.contains(submit)) {
        submit.disabled = false;
        submit.removeAttribute("aria-busy");
      }
      refreshSoon();
    }
  }

  async function cancelModal(view) {
    ui.closedViews.add(view.id);
    closeModal();
    try {
      await api("close", { user: ui.me, view_id: view.id });
    } catch (error) {
      toast(error.message, "error");
    }
    refreshSoon();
  }

  function trapFocus(event, dialog, view) {
    if (event.key === "Escape") {
      event.preventDefault();
      cancelModal(view);
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll("button, input, textarea, select, a[href], [tabindex]:not([tabindex='-1'])")].filter(
      (node) => !node.disabled && node.offsetParent !== null,
    );
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function renderModal(view) {
    if (view && ui.closedViews.has(view.id)) view = null;
    if (!view) {
      if (ui.modal.id) closeModal();
      return;
    }
    if (view.id === ui.modal.id && view.hash === ui.modal.hash) return;
    const sameView = view.id === ui.modal.id;
    const kept = sameView ? modalValues() : null;
    if (!ui.modal.id) ui.modal.returnFocus = document.activeElement;
    ui.modal.id = view.id;
    ui.modal.hash = view.hash;
    if (!sameView) ui.modal.errors = {};

    const ctx = { kind: "view", view_id: view.id };
    const titleId = "modal-title";
    const form = el("form", {
      class: "modal",
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": titleId,
      novalidate: true,
    });
    form.append(
      el(
        "div",
        { class: "modal-head" },
        el("h2", { id: titleId }, plainText(view.title || { text: "pmf-bot" })),
        el("button", { type: "button", class: "icon-button", "aria-label": "Close", onclick: () => cancelModal(view) }, "×"),
      ),
      el(
        "div",
        { class: "modal-body" },
        el("p", { class: "modal-error", role: "alert", hidden: true }),
        renderBlocks(view.blocks, ctx),
      ),
      el(
        "div",
        { class: "modal-foot" },
        el("button", { type: "button", class: "btn modal-cancel", onclick: () => cancelModal(view) }, plainText(view.close || { text: "Cancel" })),
        view.submit ? el("button", { type: "submit", class: "btn btn-primary modal-submit" }, plainText(view.submit)) : null,
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (view.submit) submitModal(view, form);
    });
    form.addEventListener("keydown", (event) => trapFocus(event, form, view));
    $("#modal-root").replaceChildren(el("div", { class: "overlay" }, form));
    $("#app").inert = true;
    document.body.classList.add("modal-open");

    if (kept) {
      for (const wrap of form.querySelectorAll(".bk-input")) {
        const control = wrap.querySelector("[data-action-id]");
        const block = wrap.getAttribute("data-block-id");
        const value = control && kept[block] && kept[block][control.getAttribute("data-action-id")];
        if (control && value !== undefined) control.value = value;
      }
    }
    showModalErrors(ui.modal.errors);
    if (!sameView) {
      const first = form.querySelector(".modal-body input, .modal-body textarea, .modal-body select") || form.querySelector(".modal-submit, .modal-cancel");
      if (first) first.focus();
    }
  }

  // -- state ----------------------------------------------------------------------------------

  /** The person this tab acted as before, else whom the sandbox suggests: someone with a
   * fresh reminder. */
  function pickDefaultPerson(data) {
    const people = data.people;
    let saved = null;
    try {
      saved = sessionStorage.getItem(`${STORE}-user`);
    } catch (error) {
      saved = null;
    }
    if (saved && people.some((p) => p.id === saved)) return saved;
    return data.me ? data.me.id : people[0].id;
  }

  function apply(data) {
    ui.state = data;
    if (!ui.current || (ui.current !== "home" && !(ui.current in data.messages))) ui.current = dmId(data);
    $("#clock").textContent = data.clock_words;
    $("#clock").setAttribute("datetime", data.clock);
    renderPeople(data);
    if (ui.current !== "home") markSeen(data, ui.current);
    renderSidebar(data);
    renderHeader(data);
    renderComposer();
    renderMain(data);
    renderModal(data.modal);
  }

  async function poll() {
    if (ui.polling) {
      ui.pollAgain = true;
      return;
    }
    ui.polling = true;
    try {
      const user = ui.me;
      const data = await api(`state?user=${encodeURIComponent(user || "")}`);
      if (!ui.online) {
        ui.online = true;
        document.body.classList.remove("offline");
        toast("Connected to the sandbox again.");
      }
      if (!user) {
        ui.me = pickDefaultPerson(data);
        ui.pollAgain = true;
        return;
      }
      if (user !== ui.me) return; // switched person meanwhile: the next poll is theirs
      apply(data);
    } catch (error) {
      if (ui.online) {
        ui.online = false;
        document.body.classList.add("offline");
        toast(`Lost the sandbox server (${error.message}). Is \`pmf-bot sandbox\` still running?`, "error");
      }
    } finally {
      ui.polling = false;
      if (ui.pollAgain) {
        ui.pollAgain = false;
        poll();
      }
    }
  }

  /** Poll now, and again shortly: the bot answers some requests after acknowledging them. */
  function refreshSoon() {
    poll();
    setTimeout(poll, 350);
  }

  async function openHome() {
    try {
      checkAnswer(await api("home", { user: ui.me }), "Home tab");
    } catch (error) {
      toast(error.message, "error");
    }
    refreshSoon();
  }

  function selectConversation(id) {
    if (id === ui.current && id !== "home") return;
    ui.current = id;
    if (ui.replyTo && ui.replyTo.channel !== id) ui.replyTo = null;
    if (ui.state) {
      markSeen(ui.state, id);
      renderSidebar(ui.state);
      renderHeader(ui.state);
      renderComposer();
      renderMain(ui.state);
    }
    if (id === "home") openHome();
    else $("#composer-input").focus();
  }

  function selectPerson(id) {
    if (!id || id === ui.me) return;
    ui.me = id;
    try {
      sessionStorage.setItem(`${STORE}-user`, id);
    } catch (error) {
      /* ignore */
    }
    ui.current = ui.current === "home" ? "home" : null;
    ui.replyTo = null;
    ui.openThreads.clear();
    ui.renderedKey = "";
    ui.sidebarKey = "";
    if (ui.modal.id) {
      $("#modal-root").replaceChildren();
      $("#app").inert = false;
      document.body.classList.remove("modal-open");
      ui.modal = { id: null, hash: null, errors: {}, returnFocus: null };
    }
    $("#pane").replaceChildren(el("p", { class: "empty" }, "Loading…"));
    if (ui.current === "home") openHome();
    else poll();
  }

  async function send() {
    const input = $("#composer-input");
    const text = input.value.trim();
    if (!text || ui.current === "home" || !ui.me) return;
    input.value = "";
    autosize();
    try {
      if (text.startsWith("/")) {
        checkAnswer(await api("command", { user: ui.me, text: formatTyped(text, { command: true }) }), "command", { shown: true });
        const dm = dmId(ui.state);
        if (dm && ui.current !== dm) {
          selectConversation(dm);
          toast("Slash commands answer in your pmf-bot messages.");
        }
      } else {
        const body = { user: ui.me, channel: ui.current, text: formatTyped(text), formatted: true };
        if (ui.replyTo && ui.replyTo.channel === ui.current) body.thread_ts = ui.replyTo.ts;
        checkAnswer(await api("message", body), "message");
      }
    } catch (error) {
      if (!input.value) input.value = text;
      toast(error.message, "error");
    }
    refreshSoon();
  }

  const escapeTyped = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const wordChar = (char) => Boolean(char) && /[\p{L}\p{N}_.'-]/u.test(char);

  /** What Slack's client sends for typed text: `&`, `<` and `>` escaped, and `@Name` of a
   * workspace member (longest name first, any case) or `#channel` turned into a mention —
   * `<@U…>` in a message, `<@U…|handle>` in a slash command (the app asks for escaped
   * commands), `<#C…|name>` for a channel. */
  function formatTyped(text, { command = false } = {}) {
    const people = ((ui.state && ui.state.people) || [])
      .map((p) => ({ name: p.name, id: p.id, handle: String(p.email || "").split("@")[0] }))
      .sort((a, b) => b.name.length - a.name.length);
    const channels = ((ui.state && ui.state.conversations) || [])
      .filter((c) => c.kind === "channel")
      .map((c) => ({ name: c.name.replace(/^#/, ""), id: c.id }))
      .sort((a, b) => b.name.length - a.name.length);
    let out = "";
    let plain = "";
    let i = 0;
    while (i < text.length) {
      const char = text[i];
      const starts = (char === "@" || char === "#") && !wordChar(text[i - 1]);
      let found = null;
      if (starts) {
        const rest = text.slice(i + 1);
        const lower = rest.toLowerCase();
        const candidates = char === "@" ? people : channels;
        found = candidates.find((c) => lower.startsWith(c.name.toLowerCase()) && !wordChar(rest[c.name.length]));
      }
      if (!found) {
        plain += char;
        i += 1;
        continue;
      }
      out += escapeTyped(plain);
      plain = "";
      if (char === "#") out += `<#${found.id}|${found.name}>`;
      else out += command ? `<@${found.id}|${found.handle}>` : `<@${found.id}>`;
      i += 1 + found.name.length;
    }
    return out + escapeTyped(plain);
  }

  function autosize() {
    const input = $("#composer-input");
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  /** What the jump ran, step by step, at the top of the conversation until dismissed. */
  function showRan(answer) {
    const ran = answer.ran || [];
    $("#ran-title").textContent = ran.length ? `It is now ${answer.clock_words}. Sent on the way, in order:` : answer.message;
    $("#ran-list").replaceChildren(
      ...ran.map((step) => el("li", null, el("span", { class: "ran-when" }, step.at_words), " — ", step.what.join("; "))),
    );
    $("#ran").hidden = false;
  }

  async function jump(button) {
    const buttons = document.querySelectorAll("[data-jump]");
    buttons.forEach((b) => {
      b.disabled = true;
    });
    button.setAttribute("aria-busy", "true");
    try {
      const answer = await api("clock", { jump: button.getAttribute("data-jump") });
      showRan(answer);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      buttons.forEach((b) => {
        b.disabled = false;
      });
      button.removeAttribute("aria-busy");
      refreshSoon();
    }
  }

  function start() {
    $("#person").addEventListener("change", (event) => selectPerson(event.target.value));
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    const input = $("#composer-input");
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    input.addEventListener("input", autosize);
    $("#reply-cancel").addEventListener("click", stopReply);
    $("#ran-close").addEventListener("click", () => {
      $("#ran").hidden = true;
    });
    for (const button of document.querySelectorAll("[data-jump]")) button.addEventListener("click", () => jump(button));
    for (const chip of document.querySelectorAll("[data-fill]")) {
      chip.addEventListener("click", () => {
        input.value = chip.getAttribute("data-fill");
        autosize();
        input.focus();
        input.setSelectionRange(input.value.length, input.value.length);
      });
    }
    if (!COLOUR_EMOJI) document.body.classList.add("no-colour-emoji");
    poll();
    setInterval(poll, POLL_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
