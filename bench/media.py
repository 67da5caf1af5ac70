"""Media pipeline benchmark: one 12-megapixel camera JPEG through our whole pipeline vs tuned bare Pillow.

    .venv/bin/python bench/media.py            # 9 interleaved runs of each (about 20 s)
    .venv/bin/python bench/media.py --runs 3   # quicker

The input is generated in memory: 4000x3000, photo-like content (gradients, shapes, blur, per-channel noise,
so it compresses like a real photo, ~6 MB at q90) with EXIF (camera, GPS) and an XMP packet.

  bare: what a careful Pillow user writes for the same three sizes and encodings and nothing else:
        Image.open, draft() for the large size, load, Lanczos resize to the large size (fits 3840x2160), JPEG
        q92 4:4:4; display (1280) resized from the large one, JPEG q88 optimised; thumbnail (400) from the
        display one, JPEG q85 optimised. No checks, no orientation, no metadata handling, no files.
  ours: fediverse.imaging.probe (sniffing, limits, full decode check, orientation, ICC, IPTC source type)
        -> derive (orientation, stripping, the three renditions, BlurHash from the thumbnail)
        -> MediaStore.put_upload (original kept private byte-for-byte + 3 renditions; tmp + fsync + rename),
        each run into a fresh directory so every run really writes.

Runs alternate (bare, ours, ours, bare, ...) and the medians are compared, in wall-clock time and in CPU time
of this process (the CPU ratio is the steadier one when other work shares the two cores). Absolute figures
drift +-10 % on this machine from minute to minute; the ratio is the result (aim: ours/bare <= 1.2,
performance doc).
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from fediverse.config import MediaSettings  # noqa: E402
from fediverse.imaging import derive, probe  # noqa: E402
from fediverse.imaging.geometry import fit_box, fit_longest  # noqa: E402
from fediverse.storage import MediaStore  # noqa: E402
from tests import imagecorpus as corpus  # noqa: E402

MEDIA = MediaSettings()
LARGE_MAX = (MEDIA.large_max_width, MEDIA.large_max_height)


def make_input() -> bytes:
    im = corpus.photo(4000, 3000, seed=42)
    return corpus.jpeg(
        im,
        quality=90,
        exif=corpus.exif_bytes(orientation=1, gps=True),
        xmp=corpus.xmp_packet("digitalCapture", gps=True),
    )


def bare(data: bytes) -> list[bytes]:
    im = Image.open(io.BytesIO(data))
    large_size = fit_box(im.size, LARGE_MAX)
    im.draft("RGB", large_size)
    im.load()
    large = im.resize(large_size, Image.Resampling.LANCZOS, reducing_gap=3.0) if im.size != large_size else im
    display = large.resize(fit_longest(large.size, MEDIA.display_size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb = display.resize(fit_longest(display.size, MEDIA.thumbnail_size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = []
    for image, kwargs in (
        (large, {"quality": 92, "subsampling": 0}),
        (display, {"quality": 88, "subsampling": 2, "optimize": True}),
        (thumb, {"quality": 85, "subsampling": 2, "optimize": True}),
    ):
        buf = io.BytesIO()
        image.save(buf, "JPEG", **kwargs)
        out.append(buf.getvalue())
    return out


def ours(data: bytes, root: Path) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    p = probe(data, max_bytes=MEDIA.max_upload_bytes, max_pixels=MEDIA.max_pixels, declared_mime="image/jpeg")
    t1 = time.perf_counter()
    d = derive(data, p, large_max=LARGE_MAX, display_size=MEDIA.display_size, thumbnail_size=MEDIA.thumbnail_size)
    t2 = time.perf_counter()
    MediaStore(root).put_upload("bench", data, p.ext, d.renditions)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    print("media pipeline: generating a 4000x3000 photo-like JPEG with EXIF/GPS/XMP ...", flush=True)
    data = make_input()
    check = bare(data)
    print(f"  input {len(data) / 1e6:.1f} MB; renditions "
          + ", ".join(f"{Image.open(io.BytesIO(b)).size[0]}x{Image.open(io.BytesIO(b)).size[1]} {len(b) / 1e3:,.0f} KB" for b in check))

    workdir = Path(tempfile.mkdtemp(prefix="bench-media-"))
    try:
        bare(data)  # warm-up (imports, plugin registration, page faults)
        ours(data, workdir / "warm")
        t_bare: list[float] = []
        t_ours: list[float] = []
        cpu_bare: list[float] = []
        cpu_ours: list[float] = []
        parts: list[tuple[float, float, float]] = []
        for i in range(args.runs):
            order = ("bare", "ours") if i % 2 == 0 else ("ours", "bare")
            for which in order:
                start, cpu = time.perf_counter(), time.process_time()
                if which == "bare":
                    bare(data)
                    t_bare.append(time.perf_counter() - start)
                    cpu_bare.append(time.process_time() - cpu)
                else:
                    parts.append(ours(data, workdir / f"run{i}"))
                    t_ours.append(time.perf_counter() - start)
                    cpu_ours.append(time.process_time() - cpu)
            print(f"  run {i + 1}/{args.runs}: bare {t_bare[-1] * 1e3:6.0f} ms   ours {t_ours[-1] * 1e3:6.0f} ms"
                  f"   (CPU {cpu_bare[-1] * 1e3:4.0f} / {cpu_ours[-1] * 1e3:4.0f} ms)", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    b, o = statistics.median(t_bare), statistics.median(t_ours)
    pr, de, st = (statistics.median(x[k] for x in parts) for k in range(3))
    print(f"\nmedians of {args.runs} runs (12 MP JPEG -> 2880x2160 + 1280x960 + 400x300 JPEG):")
    print(f"  bare Pillow (draft, decode, resize, encode)            : {b * 1e3:6.0f} ms")
    print(f"  ours (probe + derive + blurhash + storage with fsync)  : {o * 1e3:6.0f} ms"
          f"   [probe {pr * 1e3:.0f} ms, derive {de * 1e3:.0f} ms, store {st * 1e3:.0f} ms]")
    cb, co = statistics.median(cpu_bare), statistics.median(cpu_ours)
    print(f"  ours/bare = {o / b:.2f}   (aim <= 1.2; ours without storage: {(pr + de) / b:.2f})")
    print(f"  CPU time (immune to other load on the machine; storage waits excluded): "
          f"bare {cb * 1e3:.0f} ms, ours {co * 1e3:.0f} ms, ours/bare = {co / cb:.2f}")


if __name__ == "__main__":
    main()
