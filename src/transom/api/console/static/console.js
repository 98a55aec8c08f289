// Transom console: times in the browser's zone, and live pages that refresh themselves.
"use strict";

function localTimes(root) {
  // "Sun 2026-12-13 04:00 UTC": unambiguous in every locale, seconds only when not zero.
  const format = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  for (const node of root.querySelectorAll("time[datetime]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment)) continue;
    const part = {};
    for (const { type, value } of format.formatToParts(moment)) part[type] = value;
    const seconds = part.second === "00" ? "" : `:${part.second}`;
    node.title = node.textContent;  // the UTC text the server wrote
    node.textContent = `${part.weekday} ${part.year}-${part.month}-${part.day} ` +
      `${part.hour}:${part.minute}${seconds} ${part.timeZoneName}`;
  }
}

// A <main data-refresh="N"> is fetched again every N seconds and swapped in, until the
// page it gets has no data-refresh (the run ended). A lost session reloads the page, which
// then shows the sign-in form.
function follow(main) {
  const seconds = Number(main.dataset.refresh);
  if (!seconds) return;
  setTimeout(async () => {
    let response;
    try {
      response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
    } catch (err) {
      follow(main);
      return;
    }
    if (!response.ok || response.redirected) {
      location.reload();
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("main");
    if (!fresh) return;
    main.replaceChildren(...fresh.childNodes);
    if (fresh.dataset.refresh) main.dataset.refresh = fresh.dataset.refresh;
    else delete main.dataset.refresh;
    localTimes(main);
    follow(main);
  }, seconds * 1000);
}

// The calendar: blocks placed by the percentages the server computed (the Content Security
// Policy allows no inline style, but allows a script to set styles).
function placeBlocks(root) {
  for (const node of root.querySelectorAll(".block[data-top]")) {
    const lanes = Number(node.dataset.lanes) || 1;
    node.style.top = `${node.dataset.top}%`;
    node.style.height = `${node.dataset.height}%`;
    node.style.left = `${(Number(node.dataset.lane) / lanes) * 100}%`;
    node.style.width = `${100 / lanes}%`;
  }
  for (const node of root.querySelectorAll(".block .cutoff[data-top]")) {
    node.style.top = `${node.dataset.top}%`;
  }
  for (const node of root.querySelectorAll(".extent[data-left]")) {
    node.style.left = `${node.dataset.left}%`;
    node.style.width = `${node.dataset.width}%`;
  }
  for (const node of root.querySelectorAll(".extent .cutoff[data-left]")) {
    node.style.left = `${node.dataset.left}%`;
  }
}

// A zone picker with no zone in the URL shows the browser's zone instead of UTC.
function pickZone(form) {
  const params = new URLSearchParams(location.search);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = form.querySelector("select[name=tz]");
  if (params.has("tz") || !zone || !select) return false;
  if (![...select.options].some((option) => option.value === zone)) return false;
  params.set("tz", zone);
  location.replace(`${location.pathname}?${params}`);
  return true;
}

// The window form's preview: the schedule's plain words and next runs as it is typed, from
// the server's schedule code (or the API's message refusing it). Built as text, never HTML.
function preview(form) {
  const target = document.getElementById("preview");
  let timer = null;
  let asked = 0;
  const show = async () => {
    const fields = new FormData(form);
    const params = new URLSearchParams();
    for (const name of ["schedule", "schedule_timezone", "schedule_offset", "duration", "cutoff",
      "start_date", "end_date"]) params.set(name, fields.get(name) || "");
    if (!params.get("schedule")) return;
    const mine = ++asked;
    let answer;
    try {
      const response = await fetch(`${form.dataset.preview}?${params}`, { credentials: "same-origin" });
      if (!response.ok) return;
      answer = await response.json();
    } catch (err) {
      return;
    }
    if (mine !== asked) return;
    const parts = [];
    if (answer.error) {
      const problem = document.createElement("p");
      problem.className = "problem";
      problem.setAttribute("role", "alert");
      problem.textContent = answer.error;
      parts.push(problem);
    } else {
      const explained = document.createElement("p");
      explained.className = "explained";
      explained.textContent = answer.explained;
      parts.push(explained);
      if (answer.runs.length) {
        const list = document.createElement("ol");
        for (const run of answer.runs) {
          const item = document.createElement("li");
          const when = document.createElement("time");
          when.setAttribute("datetime", run.at);
          when.textContent = run.at;
          const zone = document.createElement("span");
          zone.className = "muted small";
          zone.textContent = ` (${run.aws} in the window's zone)`;
          item.append(when, zone);
          list.append(item);
        }
        parts.push(list);
        localTimes(list);
      } else {
        const none = document.createElement("p");
        none.className = "muted";
        none.textContent = "No run ahead.";
        parts.push(none);
      }
    }
    target.replaceChildren(...parts);
  };
  for (const node of form.querySelectorAll("[data-previewed]")) {
    for (const kind of ["input", "change"]) {
      node.addEventListener(kind, () => {
        clearTimeout(timer);
        timer = setTimeout(show, 250);
      });
    }
  }
  show();
}

// The Run Command form: only the chosen document's parameters are shown and sent (a disabled
// fieldset's fields are not submitted).
function pickDocument(select) {
  const show = () => {
    for (const set of select.form.querySelectorAll("fieldset[data-document]")) {
      const chosen = set.dataset.document === select.value;
      set.hidden = !chosen;
      set.disabled = !chosen;
    }
  };
  select.addEventListener("change", show);
  show();
}

// A button[data-copy="ID"] copies the text of element ID, and says so.
function copier(button) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent);
      button.textContent = "Copied";
    } catch (err) {
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-zone-picker]")) {
    if (pickZone(form)) return;
  }
  for (const node of document.querySelectorAll("[data-autosubmit]")) {
    node.addEventListener("change", () => node.form.requestSubmit());
  }
  for (const node of document.querySelectorAll("input[data-select-all]")) {
    node.addEventListener("focus", () => node.select());
  }
  placeBlocks(document);
  for (const select of document.querySelectorAll("select[data-document-picker]")) pickDocument(select);
  for (const button of document.querySelectorAll("button[data-copy]")) copier(button);
  for (const form of document.querySelectorAll("form[data-preview]")) preview(form);
  localTimes(document);
  const main = document.getElementById("main");
  if (main) follow(main);
});
