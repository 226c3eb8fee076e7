/* As-you-type checking of a record form against the server's own rules.
 *
 * A form with data-check-url="/api/<room>/check/<kind>" posts its fields (as JSON, with
 * "partial": true) a moment after the user stops typing or leaves a field; the room's
 * check endpoint answers {"problems": [{"field", "reason"}]} from the same Form the
 * save uses, so the words shown while typing are the words a refused save would show.
 * Each problem is shown in the field's error slot (id "<field>-error", referenced by
 * the input's aria-describedby) and the input is marked aria-invalid; a polite live
 * region says how many problems remain. Without JavaScript the form still posts and
 * the server refuses bad input with the same messages.
 */
(function () {
  "use strict";

  function fieldsOf(form) {
    var values = {};
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name === "csrf_token" || name === "justification" || typeof value !== "string") return;
      if (values[name] !== undefined) values[name] = values[name] + ";" + value;
      else values[name] = value;
    });
    return values;
  }

  function show(form, problems, touched) {
    var byField = {};
    problems.forEach(function (p) {
      if (byField[p.field] === undefined) byField[p.field] = p.reason;
    });
    form.querySelectorAll("[data-field]").forEach(function (wrap) {
      var name = wrap.getAttribute("data-field");
      var slot = document.getElementById(name + "-error");
      var input = form.querySelector('[name="' + name + '"]');
      if (!slot || !input) return;
      var reason = touched[name] ? byField[name] : undefined;
      if (reason) {
        slot.textContent = "Error: " + reason;
        slot.hidden = false;
        input.setAttribute("aria-invalid", "true");
      } else {
        slot.textContent = "";
        slot.hidden = true;
        input.removeAttribute("aria-invalid");
      }
    });
    var status = form.querySelector("[data-check-status]");
    if (status) {
      var shown = problems.filter(function (p) { return touched[p.field]; }).length;
      status.textContent = shown ? shown + " problem(s) to fix before saving" : "";
    }
  }

  function attach(form) {
    var url = form.getAttribute("data-check-url");
    var token = document.querySelector('meta[name="csrf-token"]');
    var timer = null;
    var touched = {};
    function check() {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("Accept", "application/json");
      if (token) xhr.setRequestHeader("X-CSRF-Token", token.content);
      xhr.onload = function () {
        if (xhr.status !== 200) return;
        try {
          show(form, JSON.parse(xhr.responseText).problems || [], touched);
        } catch (e) { /* a bad answer leaves the form as it was */ }
      };
      xhr.send(JSON.stringify({ fields: fieldsOf(form), partial: true }));
    }
    function later(event) {
      if (event.target && event.target.name) touched[event.target.name] = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, 400);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-check-url]").forEach(attach);
  });
})();
