// The editor's MSEL grid: rows move by drag and drop (the up/down buttons do the same from the
// keyboard). A drop fills the row's position and the target's into the grid's action form
// and submits it, so the move is one ordinary form post.
(function () {
  "use strict";
  function ready() {
    var table = document.querySelector("table[data-grid-move]");
    if (!table) return;
    var form = document.getElementById(table.getAttribute("data-grid-move"));
    var dragged = null;
    table.querySelectorAll("tbody tr[draggable]").forEach(function (row) {
      row.addEventListener("dragstart", function (e) {
        dragged = row;
        row.classList.add("dragging");
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", row.getAttribute("data-index"));
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        table.querySelectorAll(".drop-target").forEach(function (r) { r.classList.remove("drop-target"); });
      });
      row.addEventListener("dragover", function (e) {
        if (!dragged || dragged === row) return;
        e.preventDefault();
        row.classList.add("drop-target");
      });
      row.addEventListener("dragleave", function () { row.classList.remove("drop-target"); });
      row.addEventListener("drop", function (e) {
        e.preventDefault();
        if (!dragged || dragged === row) return;
        form.elements["index"].value = dragged.getAttribute("data-index");
        form.elements["to"].value = row.getAttribute("data-index");
        form.submit();
      });
    });
    table.setAttribute("data-drag-ready", "true");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
