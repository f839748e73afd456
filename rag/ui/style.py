"""The web chat's look: the Gradio theme and the CSS for answer messages and the side panel."""

from __future__ import annotations

import html

SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "monospace")

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto; }
#rag-header { padding: 6px 4px 2px; }
#rag-header h1 { font-size: 1.45rem; font-weight: 700; margin: 0; letter-spacing: -0.01em; }
#rag-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
#rag-header .rag-logo { display: inline-block; width: 1.6rem; height: 1.6rem; border-radius: 6px;
  background: linear-gradient(135deg, #4f46e5, #0ea5e9); color: #fff; text-align: center;
  line-height: 1.6rem; font-size: 0.9rem; margin-right: 8px; vertical-align: 2px; }
#rag-articles, #rag-articles * { font-family: var(--font) !important; }
#rag-articles td, #rag-articles th { font-size: 0.84rem; }
#rag-send, #rag-new { white-space: nowrap; }
#rag-side .rag-count { font-size: 0.9rem; color: var(--body-text-color-subdued); margin: 0 0 4px; }

.rag-msg { line-height: 1.5; }
.rag-msg .rag-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-bottom: 6px; }
.rag-msg .rag-answer-text { font-size: 1.12rem; }
.rag-conf { display: inline-block; font-size: 0.75rem; font-weight: 600; padding: 1px 8px;
  border-radius: 999px; border: 1px solid transparent; white-space: nowrap; }
.rag-conf-high { background: #dcfce7; color: #166534; border-color: #86efac; }
.rag-conf-medium { background: #fef9c3; color: #854d0e; border-color: #fde047; }
.rag-conf-low { background: #fee2e2; color: #991b1b; border-color: #fca5a5; }
.rag-badge { font-size: 0.7rem; padding: 0 6px; border-radius: 4px; background: #e0e7ff; color: #3730a3; }
.rag-quote { margin: 6px 0 8px; padding: 6px 12px; border-left: 3px solid #6366f1;
  background: rgba(99, 102, 241, 0.06); border-radius: 0 6px 6px 0; font-style: normal; }
mark.rag-answer { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; font-weight: 600; }
mark.rag-sentence { background: rgba(99, 102, 241, 0.14); color: inherit; padding: 0 1px; border-radius: 3px; }
.rag-section { margin: 10px 0 4px; font-size: 0.72rem; font-weight: 700; letter-spacing: 0.06em;
  text-transform: uppercase; color: var(--body-text-color-subdued); }
.rag-cites { display: flex; flex-direction: column; gap: 4px; }
details.rag-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 4px 10px;
  background: var(--background-fill-primary); }
details.rag-cite summary { cursor: pointer; font-size: 0.9rem; }
.rag-cite-num { font-weight: 700; color: #4f46e5; }
.rag-cite-title { font-weight: 600; }
.rag-cite-meta { color: var(--body-text-color-subdued); }
.rag-passage { margin: 6px 0 4px; font-size: 0.88rem; max-height: 260px; overflow-y: auto; }
.rag-cite-where { font-size: 0.72rem; color: var(--body-text-color-subdued); word-break: break-all; }
.rag-alt { margin: 6px 0; padding-left: 10px; border-left: 2px solid var(--border-color-primary); }
.rag-alt-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.rag-none { font-weight: 600; margin: 0 0 4px; }
.rag-dates { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: -4px 0 6px 15px; }
.rag-filter-line { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 2px 4px; }
.rag-filter-on { color: #4338ca; font-weight: 600; }
.rag-timeline { margin: 2px 0 8px 18px; padding: 0; font-size: 0.92rem; }
.rag-when { font-weight: 600; color: #4338ca; }
.rag-agree { font-size: 0.85rem; color: #047857; margin: 0 0 4px; }
.rag-note { color: var(--body-text-color-subdued); font-size: 0.9rem; margin: 2px 0; }
.rag-error p { color: #b91c1c; margin: 0; }
ul.rag-status { list-style: none; padding: 0; margin: 4px 0; font-size: 0.88rem; }
ul.rag-status li { padding: 3px 8px; border-radius: 6px; margin: 2px 0; }
.rag-status-ok { background: #dcfce7; color: #166534; }
.rag-status-info { background: #e0f2fe; color: #075985; }
.rag-status-warn { background: #fef9c3; color: #854d0e; }
.rag-status-error { background: #fee2e2; color: #991b1b; }
"""


def header_html(title: str) -> str:
    """The page header: the product's name and what it does."""
    return (
        '<div id="rag-header"><h1><span class="rag-logo">Q</span>' + html.escape(title) + "</h1>"
        "<p>Answers quoted word for word from your news articles, with the sentence and source "
        "for every one.</p></div>"
    )
