"""The page's two scripts. Neither carries document text, and neither talks to a server.

:func:`page_script` runs once per page language. It sets ``<html lang>`` to the page's
language (Streamlit always says ``en``), focuses the question box when it first appears
(on devices with a mouse: on a phone the keyboard would cover the page), puts German words
in the place of Streamlit's fixed English ones (the skip link, the uploader, tooltips),
gives the hits list semantics for screen readers, and mends the uploader's drop zone,
which Streamlit marks as presentational although it has a label. It watches the page
because Streamlit redraws those parts after every interaction.

:func:`scroll_script` scrolls the document view to the passage.
"""

from __future__ import annotations

import json

from app.texts import STREAMLIT_WORDS

__all__ = ["page_script", "scroll_script"]

_PAGE_SCRIPT = """<script>/* fundstelle page script */
(function () {
  var LANG = %(lang)s, WORDS = %(words)s;
  var patterns = Object.keys(WORDS).map(function (key) {
    var parts = key.split("{}").map(function (part) { return part.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&"); });
    return [new RegExp("^" + parts.join("(.+?)") + "$"), WORDS[key]];
  });
  function translated(value) {
    var words = value.trim();
    for (var i = 0; i < patterns.length; i++) {
      var match = patterns[i][0].exec(words);
      if (match) { return value.replace(words, patterns[i][1].replace("{}", match[1] || "")); }
    }
    return null;
  }
  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), node, words;
    while ((node = walker.nextNode())) {
      if ((words = translated(node.nodeValue))) { node.nodeValue = words; }
    }
  }
  function fix() {
    document.documentElement.lang = LANG;
    if (patterns.length) {
      document.querySelectorAll('[data-testid="stSkipToContent"], [data-testid="stStatusWidget"], '
        + '[data-testid="stFileUploader"], [data-testid="stMainMenuPopover"]').forEach(translate);
      document.querySelectorAll("button[aria-label]").forEach(function (button) {
        var words = translated(button.getAttribute("aria-label"));
        if (words) { button.setAttribute("aria-label", words); }
      });
    }
    document.querySelectorAll('[data-testid="stFileUploaderDropzone"][role="presentation"]').forEach(
      function (zone) { zone.setAttribute("role", "group"); });
    document.querySelectorAll(".st-key-fs-hits").forEach(function (list) {
      list.setAttribute("role", "list");
      list.querySelectorAll('[class*="st-key-fs-hit-"]').forEach(function (item) {
        item.setAttribute("role", "listitem");
      });
    });
    var box = document.querySelector(".st-key-question input");
    if (box && !window.__fsFocused) {
      window.__fsFocused = true;
      if (document.activeElement === document.body && window.matchMedia("(pointer: fine)").matches) { box.focus(); }
    }
  }
  if (window.__fsObserver) { window.__fsObserver.disconnect(); }
  var queued = false;
  window.__fsObserver = new MutationObserver(function () {
    if (!queued) { queued = true; requestAnimationFrame(function () { queued = false; fix(); }); }
  });
  window.__fsObserver.observe(document.body, {childList: true, subtree: true, characterData: true});
  fix();
})();
</script>"""

# Runs again for each passage because the marker comment differs.
_SCROLL_SCRIPT = """<script>/* %(marker)s */
(function () {
  var tries = 0;
  function go() {
    var target = document.getElementById(%(target)s);
    var box = target && target.closest(".fs-doc");
    if (!box) { if (tries++ < 50) setTimeout(go, 100); return; }
    box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 4;
  }
  go();
})();
</script>"""


def _js(value: object) -> str:
    """``value`` as a JavaScript literal that cannot end the script element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def page_script(lang: str) -> str:
    """The page script for the page language ``lang``."""
    return _PAGE_SCRIPT % {"lang": _js(lang), "words": _js(STREAMLIT_WORDS.get(lang, {}))}


def scroll_script(target: str, marker: str) -> str:
    """The script that scrolls the document view to the element with id ``target``; ``marker`` makes it new."""
    return _SCROLL_SCRIPT % {"target": _js(target), "marker": marker.replace("*/", "")}
