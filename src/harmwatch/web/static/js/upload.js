/* The data page's upload: XHR so the browser reports upload progress, then the load's result
 * (or every problem as file:line: field: reason) shown in place, and the page's tables redrawn
 * to include the load. Without JavaScript the same form posts to /data/upload and the page
 * comes back with the result and its tables. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function megabytes(n) {
    return (n / 1048576).toLocaleString("en-GB", { maximumFractionDigits: 1 }) + " MB";
  }

  function showResult(box, result) {
    box.textContent = "";
    var alert = el("div", "alert " + (result.ok ? "alert-ok" : "alert-error"), result.summary);
    alert.setAttribute("role", "alert");
    box.appendChild(alert);
    if (result.problems && result.problems.length) {
      var list = el("ul", "problems");
      result.problems.forEach(function (problem) {
        var item = el("li");
        item.appendChild(el("code", null, problem));
        list.appendChild(item);
      });
      if (result.more_problems) list.appendChild(el("li", null, "… and " + result.more_problems + " more"));
      box.appendChild(list);
    }
    if (result.files && result.files.length) {
      var table = el("table", "data-table compact");
      var head = el("tr");
      ["File", "Status", "Force", "Rows", "Rejected"].forEach(function (h) {
        var th = el("th", null, h);
        th.scope = "col";
        head.appendChild(th);
      });
      var thead = el("thead");
      thead.appendChild(head);
      table.appendChild(thead);
      var body = el("tbody");
      result.files.forEach(function (f) {
        var row = el("tr");
        [f.file, f.status, f.force, String(f.rows_loaded), String(f.rows_rejected)].forEach(function (v) {
          row.appendChild(el("td", null, v));
        });
        body.appendChild(row);
      });
      table.appendChild(body);
      box.appendChild(table);
    }
  }

  // After a load, the page's own tables (coverage, provenance, rejects) are redrawn from a fresh
  // copy of this page, so they never show the data as they were before the upload.
  function refreshTables(status) {
    var current = document.getElementById("data-tables");
    if (!current) return Promise.resolve();
    return fetch("/data", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("data-tables");
        if (!fresh) throw new Error("no tables in the page");
        current.replaceChildren.apply(
          current,
          Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); })
        );
        current.dataset.refreshed = String(Date.now());
        status.textContent = "Done. The tables below include this load.";
      })
      .catch(function () {
        status.textContent = "Done. Reload the page to see this load in the tables below.";
      });
  }

  function loadedSomething(result) {
    return result.ok || (result.files || []).some(function (f) { return f.rows_loaded > 0; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var wrap = document.getElementById("upload-progress-wrap");
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var box = document.getElementById("upload-result");
    var button = form.querySelector("button[type=submit]");
    var token = document.querySelector('meta[name="csrf-token"]').content;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.api);
      xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.setRequestHeader("Accept", "application/json");
      wrap.hidden = false;
      bar.value = 0;
      button.disabled = true;
      box.textContent = "";
      status.textContent = "Uploading…";
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((100 * e.loaded) / e.total);
        bar.value = pct;
        bar.textContent = pct + " %";
        status.textContent = "Uploading: " + pct + " % (" + megabytes(e.loaded) + " of " + megabytes(e.total) + ")";
      });
      xhr.upload.addEventListener("load", function () {
        bar.removeAttribute("value"); // indeterminate while the server checks and loads
        status.textContent = "Uploaded. Checking every row and loading…";
      });
      xhr.addEventListener("load", function () {
        button.disabled = false;
        wrap.hidden = true;
        var result;
        try {
          result = JSON.parse(xhr.responseText);
        } catch (e) {
          result = { ok: false, summary: "The server answered " + xhr.status + " " + xhr.statusText + "." };
        }
        if (result.detail && result.summary === undefined) {
          result = { ok: false, summary: String(result.detail) };
        }
        status.textContent = result.ok ? "Done. Updating the tables below…" : "Refused.";
        showResult(box, result);
        if (loadedSomething(result)) refreshTables(status);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        wrap.hidden = true;
        status.textContent = "The upload failed (network error). Nothing was loaded.";
      });
      xhr.send(new FormData(form));
    });
  });
})();
