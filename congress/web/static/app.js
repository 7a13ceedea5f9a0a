// Plain JavaScript (no library, no network beyond this site): live progress, live checks, form helpers.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  // A submitted form's buttons are disabled at once: one click, one request.
  document.addEventListener("submit", function (event) {
    var buttons = event.target.querySelectorAll("button[type=submit]");
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });

  // Timeline: poll the progress endpoint and redraw the live part without reloading the page.
  var live = document.getElementById("live");
  if (live) {
    var url = live.getAttribute("data-progress-url");
    var last = null;
    var poll = function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.html !== last) {
            last = data.html;
            var open = Array.prototype.map.call(live.querySelectorAll("details[open]"), function (d) { return d.querySelector("summary").textContent; });
            live.innerHTML = data.html;
            live.querySelectorAll("details").forEach(function (d) {
              if (open.indexOf(d.querySelector("summary").textContent) >= 0) { d.open = true; }
            });
          }
          var active = data && (data.active || data.state === "running");
          setTimeout(poll, active ? 1500 : 5000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }

  // Gate forms: send the form to its check endpoint as the user types; show the rules with articles.
  function renderCheck(form, data) {
    var box = form.querySelector("#check-result");
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll(".field-check").forEach(function (el) { el.innerHTML = ""; });
    var html = "";
    if (data.counts) {
      var c = data.counts;
      html += "<p>已标记 " + (c.present + c.leave + c.absent) + " 名（共 " + data.total + " 名）：出席 " + c.present +
        " 名，请假 " + c.leave + " 名，缺席 " + c.absent + " 名" +
        (c.unmarked ? '<span class="check-item warn">，还有 ' + c.unmarked + " 名未标记</span>" : "") + "。</p>";
    }
    var ruleTexts = (data.items || []).map(function (item) { return item.text; });
    (data.problems || []).forEach(function (p) {
      // a problem that is also a rule item is shown once, with its rule and article
      if (ruleTexts.indexOf(p.problem) >= 0) { return; }
      html += '<p class="check-item error">' + escapeHtml(p.problem) + (p.field ? ' <span class="rule">（' + escapeHtml(p.field) + '）</span>' : "") + "</p>";
      mark(form, p.field, '<div class="field-error">' + escapeHtml(p.problem) + "</div>", true);
    });
    (data.items || []).forEach(function (item) {
      var line = '<div class="check-item ' + item.level + '">' + escapeHtml(item.text) +
        ' <span class="rule">依据：' + escapeHtml(item.rule) + "，" + escapeHtml(item.citation) + "</span></div>";
      if (!mark(form, item.field, line, item.level === "error")) { html += line; }
    });
    (data.summary || []).forEach(function (line) { html += '<p class="check-item warn">' + escapeHtml(line) + "</p>"; });
    if (!html && data.ok) { html = '<p class="check-item ok">数字核对无误。</p>'; }
    box.innerHTML = html;
  }
  function mark(form, field, html, isError) {
    if (!field) { return false; }
    var target = null;
    form.querySelectorAll("[data-field]").forEach(function (el) {
      var f = el.getAttribute("data-field");
      if (field === f || field.indexOf(f + ".") === 0) { target = el; }
    });
    if (!target) { return false; }
    if (isError) { target.classList.add("has-error"); }
    var cell = target.querySelector(".field-check");
    if (cell) { cell.insertAdjacentHTML("beforeend", html); return true; }
    return false;
  }
  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  document.querySelectorAll("form.live-check").forEach(function (form) {
    var timer = null;
    var check = function () {
      fetch(form.getAttribute("data-check-url"), {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (data) { renderCheck(form, data); });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 100); });
    check();
  });

  // Attendance: every deputy present at once (then the few on leave or absent are changed); the leave
  // approval can be ticked only for a deputy on leave.
  function syncLeave(row) {
    var box = row.querySelector("input.leave-approved");
    var leave = row.querySelector('input[type=radio][value="leave"]');
    if (box && leave) { box.disabled = !leave.checked; if (box.disabled) { box.checked = false; } }
  }
  document.querySelectorAll("[data-set-all]").forEach(function (button) {
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-set-all");
      document.querySelectorAll('input[type=radio][value="' + value + '"]').forEach(function (r) { r.checked = true; });
      document.querySelectorAll("tr[data-code]").forEach(syncLeave);
      button.form.dispatchEvent(new Event("change"));
    });
  });
  document.querySelectorAll("table.attendance input[type=radio]").forEach(function (radio) {
    radio.addEventListener("change", function () { syncLeave(radio.closest("tr")); });
  });

  // Tallies: add a round (re-vote, another election) by copying the last one with the next index.
  document.querySelectorAll(".add-round").forEach(function (button) {
    button.addEventListener("click", function () {
      var section = button.closest(".election");
      var rounds = section.querySelectorAll("fieldset.round");
      var lastRound = rounds[rounds.length - 1];
      var index = rounds.length;
      var copy = lastRound.cloneNode(true);
      var key = section.getAttribute("data-election");
      var from = "el." + key + "." + (index - 1) + ".";
      var to = "el." + key + "." + index + ".";
      copy.querySelectorAll("[name]").forEach(function (el) {
        el.name = el.name.replace(from, to);
        if (el.tagName === "SELECT") { el.value = "revote"; } else { el.value = ""; }
      });
      copy.setAttribute("data-index", index);
      copy.setAttribute("data-field", "elections." + key + ".rounds." + index);
      copy.querySelector(".round-number").textContent = index + 1;
      copy.querySelector(".field-check").innerHTML = "";
      lastRound.after(copy);
      section.querySelector(".round-count").value = index + 1;
    });
  });
})();
