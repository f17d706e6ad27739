// Keeps what an auditor types in a finding form on this device until the server has saved it.
// A form with data-draft-key stores its text fields, the radio button chosen and its selects in
// localStorage as they change, restores them on the next visit when the text fields are empty, and forgets them once the page says "saved=1".
// "saved=1" means the form sent last from this tab was saved (an edit saved from another page
// leaves this page's own draft alone), and it is taken off the address once read, so that
// reloading the page or coming Back to it after a failed send never throws a newer draft away.
(function () {
  "use strict";
  var storage;
  try { storage = window.localStorage; } catch (e) { return; }
  if (!storage) { return; }
  var saved = new URLSearchParams(window.location.search).get("saved") === "1";
  var sentKey = "certdesk-draft-sent";
  var sent = null;
  try {
    sent = window.sessionStorage.getItem(sentKey);
    window.sessionStorage.removeItem(sentKey);
  } catch (e) { sent = null; }
  if (saved && sent) { storage.removeItem(sent); }
  if (saved && window.history.replaceState) {
    var address = new URL(window.location.href);
    address.searchParams.delete("saved");
    window.history.replaceState(window.history.state, "", address.toString());
  }
  // A page whose form is gone once its text is sent (an answered NCR) names the draft that is done.
  document.querySelectorAll("[data-draft-done]").forEach(function (element) {
    storage.removeItem("certdesk-draft:" + element.getAttribute("data-draft-done"));
  });
  document.querySelectorAll("form[data-draft-key]").forEach(function (form) {
    var key = "certdesk-draft:" + form.getAttribute("data-draft-key");
    // Without a record of the form sent (no session storage), "saved" means this page's form.
    if (saved && !sent) { storage.removeItem(key); }
    var fields = form.querySelectorAll("textarea, input[type=text]");
    // Choices too: the grade tapped (radio buttons) and the site chosen (a select).
    var radios = form.querySelectorAll("input[type=radio]");
    var selects = form.querySelectorAll("select");
    var draft = {};
    try { draft = JSON.parse(storage.getItem(key) || "{}"); } catch (e) { draft = {}; }
    var restored = false;
    fields.forEach(function (field) {
      if (!field.value && draft[field.name]) { field.value = draft[field.name]; restored = true; }
    });
    if (restored) {
      radios.forEach(function (radio) {
        var group = form.querySelectorAll("input[type=radio][name='" + radio.name + "']:checked");
        if (!group.length && draft[radio.name] === radio.value) { radio.checked = true; }
      });
      selects.forEach(function (select) {
        if (draft[select.name] !== undefined) { select.value = draft[select.name]; }
      });
      var note = form.querySelector("[data-draft-note]");
      if (note) { note.hidden = false; }
    }
    form.addEventListener("submit", function () {
      try { window.sessionStorage.setItem(sentKey, key); } catch (e) { /* then "saved" means this page's form */ }
    });
    function keep() {
      var values = {};
      fields.forEach(function (field) { if (field.value) { values[field.name] = field.value; } });
      radios.forEach(function (radio) { if (radio.checked) { values[radio.name] = radio.value; } });
      selects.forEach(function (select) { values[select.name] = select.value; });
      storage.setItem(key, JSON.stringify(values));
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  });
})();
