// tomobench: two small niceties on top of pages that work without JavaScript.
//  1. Tables marked data-sortable sort in place when a column header is clicked
//     (the header links still sort on the server when scripts are off).
//  2. A region marked data-poll="SECONDS" is refreshed from the server while it says so
//     (submission status); the <noscript> meta refresh covers browsers without scripts.
"use strict";

(function () {
  function cellKey(row, index) {
    const cell = row.cells[index];
    if (!cell) return { missing: true, number: NaN, text: "" };
    const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const number = raw === "" ? NaN : Number(raw);
    return { missing: raw === "" || raw === "–", number: number, text: raw.toLowerCase() };
  }

  function compare(a, b) {
    // undefined values ("–") always sort last, whatever the direction
    if (a.missing || b.missing) return a.missing === b.missing ? 0 : a.missing ? 1 : -1;
    if (!Number.isNaN(a.number) && !Number.isNaN(b.number)) return a.number - b.number;
    return a.text.localeCompare(b.text);
  }

  function sortTable(table, header) {
    const headers = Array.from(header.parentElement.children);
    const index = headers.indexOf(header);
    const descending = header.getAttribute("aria-sort") !== "descending";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (rowA, rowB) {
      const a = cellKey(rowA, index);
      const b = cellKey(rowB, index);
      if (a.missing || b.missing) return compare(a, b);
      return descending ? compare(b, a) : compare(a, b);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function enableSorting(table) {
    const headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) return;
    Array.from(headRow.cells).forEach(function (header) {
      if (header.dataset.nosort !== undefined) return;
      header.classList.add("sortable");
      let target = header.querySelector("a");
      if (!target) {
        target = document.createElement("a");
        target.href = "#";
        target.setAttribute("role", "button");
        while (header.firstChild) target.appendChild(header.firstChild);
        header.appendChild(target);
      }
      // the whole header cell sorts; a keyboard "Enter" on the link bubbles up here too
      header.addEventListener("click", function (event) {
        event.preventDefault();
        sortTable(table, header);
      });
    });
  }

  function poll(region) {
    const seconds = Number(region.dataset.poll) || 3;
    window.setTimeout(function () {
      fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) { window.location.reload(); return; }
          region.replaceWith(fresh);
          if (fresh.dataset.reload !== undefined) { window.location.reload(); return; }
          if (fresh.dataset.poll) poll(fresh);
        })
        .catch(function () { poll(region); });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-sortable]").forEach(enableSorting);
    document.querySelectorAll("[data-poll][id]").forEach(poll);
  });
})();
