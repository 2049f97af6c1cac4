#!/usr/bin/env python3
"""Benchmark the emulator: throughput, memory and frame cost, beside plain pyte.

A report, not a gate: it prints a table with each number beside its target and PASS/FAIL,
writes the numbers as JSON (``--json``, default ``bench-results/emulator.json``) and exits
0 whatever they are.

Corpora are generated from a fixed seed, so every run feeds the same bytes:

* ``ascii``   plain lines of varied length;
* ``sgr``     dense attributes: 256-colour and truecolor changes every few words;
* ``unicode`` CJK wide characters, combining marks and some ASCII;
* ``cursor``  CUP jumps drawing short runs in random cells;
* ``scroll``  a scrolling region (DECSTBM) with many linefeeds;
* ``golden``  the golden recordings in tests/golden (vim, less, top, ...), replayed.

Each is fed in 64 KiB and in 4 KiB chunks to Emberterm's ``Emulator`` at 80x24 with
10,000 lines of history and at 200x60, and to plain ``pyte.Screen`` through
``pyte.ByteStream`` in the same run. pyte is slow (about 1 MB/s), so it gets a smaller
slice from the start of the same corpus; MB/s stays comparable. The median of ``--runs``
runs is reported. ``--quick`` uses small corpora and fewer history lines (targets for
memory are scaled to the lines measured).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyte  # noqa: E402

from terminal.emulator import Emulator  # noqa: E402
from terminal.frames import ScreenReplica  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
MB = 1_000_000
KIB = 1024
CHUNKS = (64 * KIB, 4 * KIB)
SIZES = ((80, 24), (200, 60))
HISTORY = 10_000

# MB/s for 80x24, 64 KiB chunks; None: reported only.
THROUGHPUT_TARGETS: dict[str, float | None] = {
    "ascii": 40.0,
    "sgr": 10.0,
    "unicode": 10.0,
    "cursor": 5.0,
    "scroll": 15.0,
    "golden": None,
}
SIZE_SCALING_TARGET = 0.75  # 200x60 within 25% of 80x24
MEMORY_TARGET_PER_10K = 4 * MB  # 10k lines <= 4 MB, 100k <= 40 MB
FLAT_GROWTH_TARGET = 512 * 1024
FRAME_FULL_TARGET_MS = 1.0

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "ember",
    "terminal",
    "screen",
    "cursor",
    "scroll",
    "region",
    "glyph",
    "palette",
    "history",
    "frame",
    "replica",
    "session",
    "worker",
    "byte",
    "stream",
]
CJK = "日本語のテキストと漢字中文字符한국어텍스트"
LATIN = "abcdefghijklmnopqrstuvwxyz"
COMBINING = "\u0301\u0300\u0308\u0302\u0327"


# -- corpora ---------------------------------------------------------------------------
def _fill(size: int, make_piece: Callable[[], str]) -> bytes:
    out, n = [], 0
    while n < size:
        piece = make_piece().encode("utf-8")
        out.append(piece)
        n += len(piece)
    return b"".join(out)[:size]


def corpus_ascii(size: int, rng: random.Random) -> bytes:
    def line() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 30))]
        return " ".join(words)[: rng.randint(0, 200)] + "\r\n"

    return _fill(size, line)


def corpus_sgr(size: int, rng: random.Random) -> bytes:
    def attr() -> str:
        kind = rng.randrange(6)
        if kind == 0:
            return f"\x1b[38;5;{rng.randrange(256)}m"
        if kind == 1:
            return f"\x1b[48;5;{rng.randrange(256)}m"
        if kind == 2:
            return f"\x1b[38;2;{rng.randrange(256)};{rng.randrange(256)};{rng.randrange(256)}m"
        if kind == 3:
            return f"\x1b[48;2;{rng.randrange(256)};{rng.randrange(256)};{rng.randrange(256)}m"
        if kind == 4:
            return rng.choice(["\x1b[1m", "\x1b[3m", "\x1b[4m", "\x1b[7m", "\x1b[1;4;31m"])
        return "\x1b[0m"

    def line() -> str:
        parts = []
        for _ in range(rng.randint(3, 16)):
            parts.append(attr() + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))))
        return " ".join(parts) + "\x1b[0m\r\n"

    return _fill(size, line)


def corpus_unicode(size: int, rng: random.Random) -> bytes:
    def word() -> str:
        kind = rng.randrange(3)
        if kind == 0:
            return "".join(rng.choice(CJK) for _ in range(rng.randint(1, 6)))
        if kind == 1:
            return "".join(
                rng.choice(LATIN) + rng.choice(COMBINING) for _ in range(rng.randint(1, 5))
            )
        return rng.choice(WORDS)

    def line() -> str:
        return " ".join(word() for _ in range(rng.randint(1, 12))) + "\r\n"

    return _fill(size, line)


def corpus_cursor(size: int, rng: random.Random) -> bytes:
    def jump() -> str:
        row, col = rng.randint(1, 24), rng.randint(1, 72)
        run = "".join(rng.choice(LATIN) for _ in range(rng.randint(1, 8)))
        colour = f"\x1b[3{rng.randrange(8)}m" if rng.random() < 0.3 else ""
        return f"\x1b[{row};{col}H{colour}{run}"

    return _fill(size, jump)


def corpus_scroll(size: int, rng: random.Random) -> bytes:
    def block() -> str:
        top = rng.randint(1, 8)
        bottom = rng.randint(top + 4, 22)
        lines = "".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
            + "\r\n"
            + "\n" * rng.randint(0, 3)
            for _ in range(rng.randint(20, 60))
        )
        return f"\x1b[{top};{bottom}r\x1b[{bottom};1H{lines}\x1b[r"

    return _fill(size, block)


def corpus_golden(size: int, rng: random.Random) -> bytes:
    del rng
    recordings = sorted(GOLDEN.glob("*-80x24.bin")) or sorted(GOLDEN.glob("*.bin"))
    data = b"".join(p.read_bytes() for p in recordings)
    if not data:
        return b""
    # Whole recordings repeated: a cut recording would leave the next one mid-sequence.
    out = data * max(1, size // len(data))
    return out


CORPORA: dict[str, Callable[[int, random.Random], bytes]] = {
    "ascii": corpus_ascii,
    "sgr": corpus_sgr,
    "unicode": corpus_unicode,
    "cursor": corpus_cursor,
    "scroll": corpus_scroll,
    "golden": corpus_golden,
}


def make_corpus(name: str, size: int, seed: int) -> bytes:
    return CORPORA[name](size, random.Random(f"{seed}-{name}"))


# -- measuring -------------------------------------------------------------------------
def _time_feed(feed: Callable[[bytes], None], data: bytes, chunk: int) -> float:
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    gc.collect()
    start = time.perf_counter()
    for piece in pieces:
        feed(piece)
    return time.perf_counter() - start


def emberterm_mbps(data: bytes, columns: int, rows: int, chunk: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        emu = Emulator(columns, rows, history=HISTORY)
        times.append(_time_feed(emu.feed, data, chunk))
    return len(data) / MB / statistics.median(times)


class PyteScreen(pyte.Screen):  # type: ignore[misc]
    """Plain ``pyte.Screen`` with one crash fixed, so it can replay real programs.

    pyte 0.8.2 passes ``private=True`` to SGR for ``CSI ? 4 m`` (XTQMODKEYS, which vim
    sends) and raises TypeError, which kills its parser. The fix costs nothing per byte.
    """

    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        if not private:
            super().select_graphic_rendition(*attrs)


def pyte_mbps(data: bytes, columns: int, rows: int, chunk: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        stream = pyte.ByteStream(PyteScreen(columns, rows))
        times.append(_time_feed(stream.feed, data, chunk))
    return len(data) / MB / statistics.median(times)


def styled_line(i: int, columns: int = 80) -> str:
    """``columns`` cells of text in eight differently coloured words."""
    width = columns // 8
    parts = []
    for k in range(8):
        colour = (i * 8 + k) % 256
        text = f"{WORDS[(i + k) % len(WORDS)]}{i % 10000:04d}".ljust(width)[:width]
        parts.append(f"\x1b[38;5;{colour};{'1' if k % 3 == 0 else '22'}m{text}")
    return "".join(parts) + "\x1b[0m\r\n"


def _styled(lines: int, first: int = 0) -> bytes:
    return "".join(styled_line(i) for i in range(first, first + lines)).encode()


def traced_bytes(
    build: Callable[[], Any], feed: Callable[[Any, bytes], None], data: bytes
) -> tuple[int, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        obj = build()
        for i in range(0, len(data), 64 * KIB):
            feed(obj, data[i : i + 64 * KIB])
        gc.collect()
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return size, obj


def memory_history(lines: int) -> dict[str, Any]:
    data = _styled(lines + 24)
    size, emu = traced_bytes(lambda: Emulator(80, 24, history=lines), lambda e, d: e.feed(d), data)
    target = MEMORY_TARGET_PER_10K * lines / 10_000
    return {
        "lines": lines,
        "held": len(emu.scrollback),
        "bytes": size,
        "target_bytes": int(target),
        "pass": size <= target and len(emu.scrollback) == lines,
    }


def memory_pyte(lines: int) -> dict[str, Any]:
    data = _styled(lines + 24)

    def build() -> Any:
        return pyte.ByteStream(pyte.HistoryScreen(80, 24, history=lines))

    size, _ = traced_bytes(build, lambda s, d: s.feed(d), data)
    return {"lines": lines, "bytes": size}


def memory_flat(lines: int) -> dict[str, Any]:
    """Bytes kept after feeding 5x the history limit into a full history.

    Tracing starts before the emulator exists: lines made before tracing started and
    then dropped would otherwise show up as growth when their replacements are traced.
    """
    gc.collect()
    tracemalloc.start()
    try:
        emu = Emulator(80, 24, history=lines)
        emu.feed(_styled(lines + 24))
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        fed = 5 * lines
        for start in range(0, fed, 1000):
            emu.feed(_styled(1000, first=lines + 24 + start))
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    return {
        "history": lines,
        "lines_fed": fed,
        "growth_bytes": growth,
        "target_bytes": FLAT_GROWTH_TARGET,
        "pass": growth <= FLAT_GROWTH_TARGET,
    }


def frame_full_redraw(repeats: int) -> dict[str, Any]:
    emu = Emulator(200, 60, history=HISTORY)
    emu.take_frame()
    times = []
    for r in range(repeats):
        redraw = "\x1b[H\x1b[2J" + "".join(
            f"\x1b[{row + 1};1H" + styled_line(r * 60 + row, 200).rstrip("\r\n")
            for row in range(60)
        )
        emu.feed(redraw.encode())
        start = time.perf_counter()
        frame = emu.take_frame()
        times.append(time.perf_counter() - start)
        assert len(frame.lines) == 60, "a full redraw should carry every row"
    ms = statistics.median(times) * 1000
    return {
        "columns": 200,
        "rows": 60,
        "median_ms": ms,
        "target_ms": FRAME_FULL_TARGET_MS,
        "pass": ms <= FRAME_FULL_TARGET_MS,
    }


def frame_after_scroll(lines: int, repeats: int) -> dict[str, Any]:
    """take_frame after ``lines`` lines scrolled by since the last frame."""
    times = []
    ok = True
    total = 0
    for r in range(repeats):
        emu = Emulator(80, 24, history=HISTORY)
        replica = ScreenReplica(80, 24)
        replica.apply(emu.take_frame())
        emu.feed(_styled(lines, first=r))
        start = time.perf_counter()
        frame = emu.take_frame()
        times.append(time.perf_counter() - start)
        replica.apply(frame)
        total = frame.history_total
        # 24 rows: `lines` lines ending in a newline leave the last row blank, so
        # lines - 23 of them went into history.
        expected_total = lines - 23
        ok = (
            ok
            and total == expected_total
            and [line.rstrip() for line in replica.display()]
            == [line.rstrip() for line in emu.display]
        )
    return {
        "lines": lines,
        "median_ms": statistics.median(times) * 1000,
        "history_total": total,
        "final_screen_ok": ok,
        "pass": ok,
    }


# -- the run ---------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    size = args.size_kb * KIB if args.size_kb else (256 * KIB if quick else 3 * MB)
    pyte_size = min(size, max(4 * KIB, size // 4) if quick else 512 * 1000)
    runs = args.runs
    results: dict[str, Any] = {
        "meta": {
            "quick": quick,
            "runs": runs,
            "seed": args.seed,
            "corpus_bytes": size,
            "pyte_slice_bytes": pyte_size,
            "history": HISTORY,
            "chunks": list(CHUNKS),
            "python": platform.python_version(),
            "pyte": getattr(pyte, "__version__", "0.8.2"),
            "machine": platform.machine(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "throughput": [],
    }
    print(
        f"corpora: {size / MB:.2f} MB each for Emberterm; pyte is fed the first "
        f"{pyte_size / MB:.2f} MB of the same corpus (it is much slower); median of "
        f"{runs} run(s)",
        flush=True,
    )
    for name in CORPORA:
        data = make_corpus(name, size, args.seed)
        if not data:
            print(f"  {name}: no data (no golden recordings?)")
            continue
        slice_ = data[:pyte_size]
        for columns, rows in SIZES:
            for chunk in CHUNKS:
                ours = emberterm_mbps(data, columns, rows, chunk, runs)
                try:
                    theirs: float | None = pyte_mbps(slice_, columns, rows, chunk, runs)
                except Exception as exc:  # pyte's own bugs must not hide our numbers
                    theirs = None
                    print(f"  pyte failed on {name}: {exc!r}", flush=True)
                target = (
                    THROUGHPUT_TARGETS[name]
                    if (columns, rows, chunk) == (80, 24, 64 * KIB)
                    else None
                )
                results["throughput"].append(
                    {
                        "corpus": name,
                        "columns": columns,
                        "rows": rows,
                        "chunk": chunk,
                        "bytes": len(data),
                        "pyte_bytes": len(slice_),
                        "emberterm_mbps": round(ours, 3),
                        "pyte_mbps": None if theirs is None else round(theirs, 3),
                        "ratio": round(ours / theirs, 2) if theirs else None,
                        "target_mbps": target,
                        "pass": None if target is None else ours >= target,
                    }
                )
                print(
                    f"  {name:8s} {columns}x{rows} chunk {chunk // KIB:2d} KiB: "
                    f"{ours:7.2f} MB/s (pyte {theirs or 0:5.2f})",
                    flush=True,
                )
    scaling = []
    for name in CORPORA:
        for chunk in CHUNKS:
            rows_ = {
                (r["columns"], r["rows"]): r["emberterm_mbps"]
                for r in results["throughput"]
                if r["corpus"] == name and r["chunk"] == chunk
            }
            if len(rows_) == 2:
                ratio = rows_[(200, 60)] / rows_[(80, 24)]
                scaling.append(
                    {
                        "corpus": name,
                        "chunk": chunk,
                        "mbps_80x24": rows_[(80, 24)],
                        "mbps_200x60": rows_[(200, 60)],
                        "ratio": round(ratio, 3),
                        "target_ratio": SIZE_SCALING_TARGET,
                        "pass": ratio >= SIZE_SCALING_TARGET,
                    }
                )
    results["size_scaling"] = scaling
    small, big = (1_000, 10_000) if quick else (10_000, 100_000)
    if args.size_kb and args.size_kb < 64:
        small, big = 200, 1_000
    print("memory...", flush=True)
    results["memory"] = {
        "history_10k": memory_history(small) | {"pyte_history_screen": memory_pyte(small)},
        "history_100k": memory_history(big),
        "flat": memory_flat(small),
    }
    print("frames...", flush=True)
    scroll_lines = 10_000 if not (args.size_kb and args.size_kb < 64) else 500
    results["frames"] = {
        "full_200x60": frame_full_redraw(20 if quick else 100),
        "scroll_10k": frame_after_scroll(scroll_lines, 1 if quick else 5),
    }
    return results


def table(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, value, target, verdict) rows."""

    def verdict(ok: bool | None) -> str:
        return "-" if ok is None else ("PASS" if ok else "FAIL")

    rows = []
    for r in results["throughput"]:
        what = f"{r['corpus']} {r['columns']}x{r['rows']} {r['chunk'] // KIB}KiB"
        pyte_part = "pyte failed" if r["pyte_mbps"] is None else f"pyte {r['pyte_mbps']:.2f}"
        value = f"{r['emberterm_mbps']:.2f} MB/s  {pyte_part}  x{r['ratio']}"
        target = f">= {r['target_mbps']:g} MB/s" if r["target_mbps"] else ""
        rows.append((what, value, target, verdict(r["pass"])))
    for s in results["size_scaling"]:
        rows.append(
            (
                f"{s['corpus']} 200x60 vs 80x24 {s['chunk'] // KIB}KiB",
                f"{s['ratio']:.2f}",
                f">= {s['target_ratio']}",
                verdict(s["pass"]),
            )
        )
    mem = results["memory"]
    for key in ("history_10k", "history_100k"):
        m = mem[key]
        extra = ""
        if "pyte_history_screen" in m:
            extra = f"  (pyte.HistoryScreen {m['pyte_history_screen']['bytes'] / MB:.1f} MB)"
        rows.append(
            (
                f"memory {m['lines']} history lines",
                f"{m['bytes'] / MB:.2f} MB{extra}",
                f"<= {m['target_bytes'] / MB:.1f} MB",
                verdict(m["pass"]),
            )
        )
    f = mem["flat"]
    rows.append(
        (
            f"memory growth feeding {f['lines_fed']} lines into full history",
            f"{f['growth_bytes'] / 1024:.0f} KiB",
            f"<= {f['target_bytes'] // 1024} KiB",
            verdict(f["pass"]),
        )
    )
    fr = results["frames"]
    rows.append(
        (
            "take_frame full 200x60",
            f"{fr['full_200x60']['median_ms']:.3f} ms",
            f"<= {fr['full_200x60']['target_ms']} ms",
            verdict(fr["full_200x60"]["pass"]),
        )
    )
    s = fr["scroll_10k"]
    rows.append(
        (
            f"take_frame after {s['lines']} lines scrolled",
            f"{s['median_ms']:.3f} ms, history {s['history_total']}, screen "
            f"{'ok' if s['final_screen_ok'] else 'WRONG'}",
            "final screen + count",
            verdict(s["pass"]),
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small corpora, fewer lines")
    parser.add_argument("--size-kb", type=int, default=0, help="corpus size override (KiB)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "emulator.json")
    args = parser.parse_args(argv)
    try:
        results = run(args)
    except Exception as exc:  # a report, not a gate: say what broke and exit 0
        print(f"benchmark failed: {exc!r}", file=sys.stderr)
        return 0
    rows = table(results)
    results["table"] = [
        dict(zip(("what", "value", "target", "verdict"), r, strict=True)) for r in rows
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
