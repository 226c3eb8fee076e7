/* The county-lines page's import: XHR so the browser reports the upload's progress, then the
 * import job polled until it ends (bytes checked of the total, per file), its outcome or every
 * problem as file:line: field: reason shown in place, and the files table redrawn from
 * /api/calls/files. Without JavaScript the same form posts to /county-lines/import and the page
 * comes back with the outcome. */
(function () {
  "use strict";

  var POLL_MS = 500;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function megabytes(n) {
    return (n / 1048576).toLocaleString("en-GB", { maximumFractionDigits: 1 }) + " MB";
  }

  function showOutcome(box, job) {
    box.textContent = "";
    var ok = job.state === "done";
    var alert = el("div", "alert " + (ok ? "alert-ok" : "alert-error"), job.summary || job.detail || "");
    alert.setAttribute("role", "alert");
    box.appendChild(alert);
    if (job.problems && job.problems.length) {
      var list = el("ul", "problems");
      job.problems.forEach(function (problem) {
        var item = el("li");
        item.appendChild(el("code", null, problem));
        list.appendChild(item);
      });
      if (job.more_problems) list.appendChild(el("li", null, "… and " + job.more_problems + " more"));
      box.appendChild(list);
    }
  }

  function cell(row, text, className) {
    var td = el("td", className || null, text);
    row.appendChild(td);
    return td;
  }

  function when(text) {
    return (text || "").slice(0, 19).replace("T", " ");
  }

  // The files table, redrawn from the API (a logged consultation, as the page's own was).
  function refreshFiles(status) {
    var table = document.getElementById("call-files");
    if (!table) return Promise.resolve();
    return fetch("/api/calls/files", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      })
      .then(function (data) {
        var body = table.tBodies[0];
        body.textContent = "";
        data.files.forEach(function (f) {
          var row = el("tr");
          cell(row, f.file_name);
          cell(row, Number(f.rows).toLocaleString("en-GB"), "num");
          cell(row, when(f.first_event_utc));
          cell(row, when(f.last_event_utc));
          cell(row, f.legal_basis_title);
          cell(row, f.authority_ref);
          cell(row, f.imported_by);
          var mark = cell(row, f.synthetic ? "" : "real");
          if (f.synthetic) mark.appendChild(el("strong", null, "SYNTHETIC"));
          body.appendChild(row);
        });
        var heading = document.getElementById("files-heading");
        if (heading) heading.textContent = "Call-data files (" + data.files.length + ")";
        table.dataset.refreshed = String(Date.now());
      })
      .catch(function () {
        status.textContent += " Reload the page to see the files table updated.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("import-form");
    if (!form) return;
    var wrap = document.getElementById("import-progress-wrap");
    var bar = document.getElementById("import-progress");
    var status = document.getElementById("import-status");
    var box = document.getElementById("import-result");
    var button = form.querySelector("button[type=submit]");
    var token = document.querySelector('meta[name="csrf-token"]').content;

    function finish(job) {
      button.disabled = false;
      bar.value = job.state === "done" ? 100 : bar.value;
      bar.textContent = Math.round(bar.value) + " %";
      form.dataset.state = job.state;
      showOutcome(box, job);
      if (job.state === "done") {
        status.textContent = "Done: " + job.summary + ".";
        refreshFiles(status);
      } else {
        status.textContent = "Not imported.";
      }
    }

    function poll(url) {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (job) {
            if (!response.ok) throw new Error(job.detail || response.statusText);
            return job;
          });
        })
        .then(function (job) {
          var pct = Math.round(100 * job.fraction);
          bar.value = pct;
          bar.textContent = pct + " %";
          if (job.state === "queued" || job.state === "running") {
            status.textContent = job.file
              ? "Importing " + job.file + ": " + megabytes(job.done_bytes) + " of " + megabytes(job.total_bytes) + " checked (" + pct + " %)"
              : "Waiting for the store…";
            window.setTimeout(function () { poll(url); }, POLL_MS);
          } else {
            finish(job);
          }
        })
        .catch(function (error) {
          finish({ state: "failed", summary: "Lost track of the import (" + error.message + "); reload the page to see the files." });
        });
    }

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
      form.dataset.state = "uploading";
      status.textContent = "Uploading…";
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((100 * e.loaded) / e.total);
        bar.value = pct;
        bar.textContent = pct + " %";
        status.textContent = "Uploading: " + pct + " % (" + megabytes(e.loaded) + " of " + megabytes(e.total) + ")";
      });
      xhr.addEventListener("load", function () {
        var answer;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (e) {
          answer = { detail: "The server answered " + xhr.status + " " + xhr.statusText + "." };
        }
        if (xhr.status !== 202) {
          var detail = Array.isArray(answer.detail) ? answer.detail.join("; ") : answer.detail;
          finish({ state: "refused", summary: String(detail || "Refused.") });
          return;
        }
        bar.value = 0;
        status.textContent = "Uploaded. Checking every row…";
        form.dataset.state = "importing";
        poll(answer.poll);
      });
      xhr.addEventListener("error", function () {
        finish({ state: "failed", summary: "The upload failed (network error). Nothing was imported." });
      });
      xhr.send(new FormData(form));
    });
  });
})();
