"""Run axe-core in a page and report what it finds, readably.

The page's Content-Security-Policy allows scripts from our own origin only,
so a ``<script>`` tag added by Playwright (``page.add_script_tag``) is
blocked; ``page.evaluate`` runs the library through the DevTools protocol,
which the policy does not govern, and the page itself stays unchanged.
"""

from pathlib import Path

AXE_PATH = (
    Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
)
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html})),
  }));
}"""


def axe_script() -> str:
    if not AXE_PATH.exists():
        raise RuntimeError(f"{AXE_PATH} is missing: run `npm ci` (make test does)")
    return AXE_PATH.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Every WCAG 2.2 A/AA violation axe finds in the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script())
    return page.evaluate(_RUN, WCAG_22_AA)


def blocking(violations: list[dict]) -> list[dict]:
    """The serious and critical ones."""
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(url: str, violations: list[dict]) -> str:
    """A readable account: rule, impact, help and the first offending nodes."""
    lines = [f"{url}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      {node['target']}  {node['html'][:200]}")
    return "\n".join(lines)
