// Keyboard shortcuts of the labeling queue: a key named in a checkbox's data-key toggles it, Enter saves,
// s skips. Keys typed into a text field are left alone.
document.addEventListener("keydown", function (event) {
  var form = document.getElementById("form-label");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target.matches && target.matches("textarea, select, button, input[type=text], input[type=search], input[type=date]")) return;
  if (event.key === "Enter") {
    event.preventDefault();
    form.requestSubmit();
    return;
  }
  if (event.key === "s") {
    event.preventDefault();
    document.getElementById("form-skip").requestSubmit();
    return;
  }
  var box = form.querySelector('input[type=checkbox][data-key="' + CSS.escape(event.key) + '"]');
  if (box) {
    event.preventDefault();
    box.checked = !box.checked;
  }
});
