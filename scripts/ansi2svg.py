#!/usr/bin/env python3
"""Turns `tmux capture-pane -e -p` output (text with SGR escapes) into an SVG image."""
import html
import re
import sys

PALETTE = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
           "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
FG, BG = "#d4d4d4", "#1e1e1e"
CW, CH = 8.4, 17  # cell size in px


def color256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        r, g, b = n // 36, (n // 6) % 6, n % 6
        f = lambda v: 0 if v == 0 else 55 + v * 40
        return "#%02x%02x%02x" % (f(r), f(g), f(b))
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def parse(lines):
    rows = []
    st = {"fg": None, "bg": None, "bold": False, "dim": False, "ul": False, "rev": False}
    for line in lines:
        cells = []
        for tok in re.split(r"(\x1b\[[0-9;]*m)", line.rstrip("\n")):
            if tok.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in tok[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        st = {"fg": None, "bg": None, "bold": False, "dim": False, "ul": False, "rev": False}
                    elif c == 1: st["bold"] = True
                    elif c == 2: st["dim"] = True
                    elif c == 4: st["ul"] = True
                    elif c == 7: st["rev"] = True
                    elif c == 22: st["bold"] = st["dim"] = False
                    elif c == 24: st["ul"] = False
                    elif c == 27: st["rev"] = False
                    elif 30 <= c <= 37: st["fg"] = PALETTE[c - 30]
                    elif 90 <= c <= 97: st["fg"] = PALETTE[c - 90 + 8]
                    elif 40 <= c <= 47: st["bg"] = PALETTE[c - 40]
                    elif 100 <= c <= 107: st["bg"] = PALETTE[c - 100 + 8]
                    elif c == 39: st["fg"] = None
                    elif c == 49: st["bg"] = None
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        st["fg" if c == 38 else "bg"] = color256(codes[i + 2]); i += 2
                    elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                        st["fg" if c == 38 else "bg"] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
                    i += 1
            else:
                for ch in tok:
                    cells.append((ch, dict(st)))
        rows.append(cells)
    return rows


def main():
    rows = parse(sys.stdin.readlines())
    width = max((len(r) for r in rows), default=80)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width * CW + 16)}" height="{int(len(rows) * CH + 16)}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{BG}" rx="6"/>']
    for y, row in enumerate(rows):
        for x, (ch, s) in enumerate(row):
            fg, bg = s["fg"] or FG, s["bg"]
            if s["rev"]:
                fg, bg = (s["bg"] or BG), (s["fg"] or FG)
            px, py = 8 + x * CW, 8 + y * CH
            if bg:
                out.append(f'<rect x="{px:.1f}" y="{py:.1f}" width="{CW + 0.5:.1f}" height="{CH}" fill="{bg}"/>')
            if ch != " ":
                attrs = f'fill="{fg}"'
                if s["bold"]: attrs += ' font-weight="bold"'
                if s["dim"]: attrs += ' opacity="0.6"'
                if s["ul"]: attrs += ' text-decoration="underline"'
                out.append(f'<text x="{px:.1f}" y="{py + CH - 4:.1f}" {attrs}>{html.escape(ch)}</text>')
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
