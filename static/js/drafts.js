// Keeps what an auditor types in a finding form on this device until the server has saved it.
// A form with data-draft-key stores its text fields in localStorage as they are typed, restores
// them into empty fields on the next visit, and forgets them once the page says "saved=1".
(function () {
  "use strict";
  var storage;
  try { storage = window.localStorage; } catch (e) { return; }
  if (!storage) { return; }
  var saved = new URLSearchParams(window.location.search).get("saved") === "1";
  document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
    var key = "certdesk-draft:" + form.getAttribute("data-draft-key");
    if (saved) { storage.removeItem(key); return; }
    var fields = form.querySelectorAll("textarea, input[type=text]");
    var draft = {};
    try { draft = JSON.parse(storage.getItem(key) || "{}"); } catch (e) { draft = {}; }
    var restored = false;
    fields.forEach(function (field) {
      if (!field.value && draft[field.name]) { field.value = draft[field.name]; restored = true; }
    });
    if (restored) {
      var note = form.querySelector("[data-draft-note]");
      if (note) { note.hidden = false; }
    }
    form.addEventListener("input", function () {
      var values = {};
      fields.forEach(function (field) { if (field.value) { values[field.name] = field.value; } });
      storage.setItem(key, JSON.stringify(values));
    });
  });
})();
