#!/usr/bin/env python3
"""Colour reference check: the real pipeline against an independent CMS (lcms2, via Pillow).

Saturated test images tagged Adobe RGB (JPEG, APP2), Display P3 (PNG iCCP and TIFF), ProPhoto
(WebP ICCP) and CMYK (JPEG with a CMYK profile) go through the local job. Each AVIF is decoded
with avifdec and compared with lcms2's sRGB conversion of the same decoded source pixels. Each
tagged input has an sRGB-tagged twin: that reference conversion stored in the same format and
tagged sRGB, so the pipeline has nothing to convert and its error is the encode noise floor.
A tagged input passes when its mean error is within RATIO_LIMIT of its twin's (plus CMS_SLACK,
for two CMSs' different LUT interpolation). The reference uses relative colorimetric without
black-point compensation, libvips' (sharp's) default; lcms2 adds black-point compensation to
any perceptual transform, which moxcms (like Chrome's skcms) does not. The error with
the profile ignored (what the pipeline did before colour management) is printed next to it.

  dev/ci/colour-reference.py [--local-job PATH] [--work DIR]

Profiles: Adobe RGB and ProPhoto from Debian's colord-data, CMYK from ghostscript's
libgs-common (installed with apt-get when missing), Display P3 written here from its published
primaries (no Debian package ships one). Pillow is pip-installed when missing.
"""

import argparse
import colorsys
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Pass: after <= RATIO_LIMIT x floor + CMS_SLACK. moxcms and lcms2 round differently (8-bit
# fixed point against lcms2's 16-bit pipeline) by a level at most, which on a noise floor of
# about half a level adds well under half of it: hence 1.5x. With a CMYK (LUT) profile they also
# interpolate the table differently (moxcms multilinear, lcms2 tetrahedral), measured at up to 4
# levels on single patches and about +0.35 levels of mean: CMS_SLACK covers that. Ignoring a
# profile costs 10 to 30 levels of mean, so the limit still catches any missing conversion.
RATIO_LIMIT = 1.5
CMS_SLACK = 0.5

ADOBE = "/usr/share/color/icc/colord/AdobeRGB1998.icc"
PROPHOTO = "/usr/share/color/icc/colord/ProPhotoRGB.icc"
CMYK = "/usr/share/color/icc/ghostscript/default_cmyk.icc"
APT_PACKAGES = {ADOBE: "colord-data", PROPHOTO: "colord-data", CMYK: "libgs-common"}


def fail(message):
    sys.exit(f"colour-reference: {message}")


def ensure_tools():
    if shutil.which("avifdec") is None:
        fail("avifdec not found (Debian/Ubuntu: apt-get install libavif-bin)")
    try:
        import PIL  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "Pillow"], check=True)
    from PIL import features

    if not features.check("littlecms2"):
        fail("this Pillow has no lcms2 (ImageCms); install a Pillow wheel from PyPI")
    missing = sorted({APT_PACKAGES[p] for p in APT_PACKAGES if not os.path.exists(p)})
    if missing:
        if shutil.which("apt-get") is None:
            fail(f"need the Debian packages {missing} (ICC profiles) and there is no apt-get")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = sudo + ["apt-get", "install", "-y", "-qq", *missing]
        if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(sudo + ["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    for path in APT_PACKAGES:
        if not os.path.exists(path):
            fail(f"{path} is missing after installing {APT_PACKAGES[path]}")


# --- a Display P3 ICC v4 profile from the published primaries -------------------------------


def mat_mul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def mat_vec(a, v):
    return [sum(a[i][k] * v[k] for k in range(3)) for i in range(3)]


def mat_inv(m):
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    adj = [
        [e * i - f * h, c * h - b * i, b * f - c * e],
        [f * g - d * i, a * i - c * g, c * d - a * f],
        [d * h - e * g, b * g - a * h, a * e - b * d],
    ]
    return [[x / det for x in row] for row in adj]


def xy_to_xyz(x, y):
    return [x / y, 1.0, (1 - x - y) / y]


def display_p3_icc():
    import struct

    d65 = xy_to_xyz(0.3127, 0.3290)
    d50 = [0.9642, 1.0, 0.8249]
    primaries = [xy_to_xyz(*xy) for xy in ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))]
    p = [[primaries[j][i] for j in range(3)] for i in range(3)]
    s = mat_vec(mat_inv(p), d65)
    rgb_to_xyz = [[p[i][j] * s[j] for j in range(3)] for i in range(3)]
    bradford = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
    cone_src, cone_dst = mat_vec(bradford, d65), mat_vec(bradford, d50)
    scale = [[cone_dst[i] / cone_src[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    chad = mat_mul(mat_inv(bradford), mat_mul(scale, bradford))
    adapted = mat_mul(chad, rgb_to_xyz)

    def s15(v):
        return struct.pack(">i", round(v * 65536))

    def xyz(values):
        return b"XYZ \0\0\0\0" + b"".join(s15(v) for v in values)

    def mluc(text):
        encoded = text.encode("utf-16-be")
        return b"mluc\0\0\0\0" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(encoded), 28) + encoded

    srgb_curve = b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + b"".join(
        s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    )
    tags = [
        (b"desc", mluc("Display P3")),
        (b"cprt", mluc("No copyright, use freely")),
        (b"wtpt", xyz(d50)),
        (b"chad", b"sf32\0\0\0\0" + b"".join(s15(v) for row in chad for v in row)),
        (b"rXYZ", xyz([adapted[i][0] for i in range(3)])),
        (b"gXYZ", xyz([adapted[i][1] for i in range(3)])),
        (b"bXYZ", xyz([adapted[i][2] for i in range(3)])),
        (b"rTRC", srgb_curve),
        (b"gTRC", srgb_curve),
        (b"bTRC", srgb_curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body + b"\0" * (-len(body) % 4)
    size = offset + len(data)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"\0\0\0\0", 0x04300000, b"mntr", b"RGB ", b"XYZ ")
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + b"".join(s15(v) for v in d50)
        + b"\0" * 48  # creator, profile ID, reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


# --- test images ------------------------------------------------------------------------------

PATCH = 16
COLUMNS = 12


def grid(colours, mode):
    from PIL import Image

    rows = -(-len(colours) // COLUMNS)
    image = Image.new(mode, (COLUMNS * PATCH, rows * PATCH), (255,) * len(mode))
    for index, colour in enumerate(colours):
        x, y = (index % COLUMNS) * PATCH, (index // COLUMNS) * PATCH
        image.paste(colour, (x, y, x + PATCH, y + PATCH))
    return image


def saturated_rgb():
    """12 hues x 12 saturation/value steps, from fully saturated to muted."""
    colours = []
    for hue in range(12):
        for saturation in (1.0, 0.8, 0.6):
            for value in (1.0, 0.8, 0.6, 0.4):
                r, g, b = colorsys.hsv_to_rgb(hue / 12, saturation, value)
                colours.append((round(r * 255), round(g * 255), round(b * 255)))
    return grid(colours, "RGB")


def saturated_cmyk():
    """Ink combinations: every mix of 0/50/100 % cyan, magenta and yellow, at three blacks."""
    steps = (0, 128, 255)
    colours = [(c, m, y, k) for k in (0, 64, 128) for c in steps for m in steps for y in steps]
    return grid(colours, "CMYK")


def save(image, path, fmt, icc):
    options = {"icc_profile": icc}
    if fmt == "JPEG":
        options.update(quality=95, subsampling=0)
    if fmt == "WEBP":
        options.update(lossless=True)
    image.save(path, fmt, **options)


def decoded(path):
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.copy()


def mean_error(a, b):
    from PIL import ImageChops, ImageStat

    if a.size != b.size:
        fail(f"sizes differ: {a.size} vs {b.size}")
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def naive_cmyk_to_rgb(image):
    """What the pipeline did before: zune-jpeg's CMYK -> RGB, R = (255 - C)(255 - K) / 255."""
    from PIL import Image

    cmyk = image.tobytes()
    rgb = bytearray()
    for i in range(0, len(cmyk), 4):
        c, m, y, k = cmyk[i : i + 4]
        rgb += bytes((255 - ink) * (255 - k) // 255 for ink in (c, m, y))
    return Image.frombytes("RGB", image.size, bytes(rgb))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    parser.add_argument("--local-job", default=f"{target}/release/imagepipe-local")
    parser.add_argument("--work", help="keep inputs and outputs here (default: a temp dir)")
    args = parser.parse_args()
    if not os.access(args.local_job, os.X_OK):
        fail(f"{args.local_job} is not an executable (build it: cargo build --release -p imagepipe-application --no-default-features --bin imagepipe-local)")
    ensure_tools()
    if args.work:
        shutil.rmtree(args.work, ignore_errors=True)
        check(args.local_job, args.work)
    else:
        with tempfile.TemporaryDirectory(prefix="colour-reference-") as work:
            check(args.local_job, work)


def check(local_job, work):
    from PIL import ImageCms

    inputs, out = f"{work}/inputs", f"{work}/out"
    os.makedirs(inputs)

    srgb_profile = ImageCms.createProfile("sRGB")
    srgb_icc = ImageCms.ImageCmsProfile(srgb_profile).tobytes()
    profiles = {
        "Adobe RGB": open(ADOBE, "rb").read(),
        "Display P3": display_p3_icc(),
        "ProPhoto": open(PROPHOTO, "rb").read(),
        "CMYK (ghostscript default)": open(CMYK, "rb").read(),
    }
    cases = [  # name, profile, format, extension
        ("adobe-rgb", "Adobe RGB", "JPEG", "jpg"),
        ("display-p3", "Display P3", "PNG", "png"),
        ("display-p3-tiff", "Display P3", "TIFF", "tiff"),
        ("prophoto", "ProPhoto", "WEBP", "webp"),
        ("cmyk", "CMYK (ghostscript default)", "JPEG", "jpg"),
    ]
    checks = []
    for name, profile_name, fmt, ext in cases:
        icc = profiles[profile_name]
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        cmyk = profile_name.startswith("CMYK")
        tagged = f"{inputs}/{name}.{ext}"
        save(saturated_cmyk() if cmyk else saturated_rgb(), tagged, fmt, icc)
        source = decoded(tagged)
        reference = ImageCms.profileToProfile(
            source, source_profile, srgb_profile,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="RGB",
        )
        twin = f"{inputs}/{name}-srgb-twin.{ext}"
        save(reference, twin, fmt, srgb_icc)
        ignored = naive_cmyk_to_rgb(source) if cmyk else source
        checks.append({
            "name": name,
            "profile": profile_name,
            "description": ImageCms.getProfileDescription(source_profile).strip(),
            "tagged": os.path.basename(tagged),
            "twin": os.path.basename(twin),
            "reference": reference,
            "twin_reference": decoded(twin).convert("RGB"),
            "before": mean_error(ignored, reference),
        })
    # A profile that cannot be parsed must give a complete record with a note, never a failure.
    saturated_rgb().save(f"{inputs}/garbage-profile.png", "PNG", icc_profile=b"not an ICC profile " * 20)

    env = dict(os.environ, IMAGEPIPE_RENDITIONS="check=4096x4096")
    run = subprocess.run([local_job, inputs, "--output", out], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"the local job exited {run.returncode}:\n{run.stdout}{run.stderr}")
    records = {}
    for line in open(f"{out}/records.jsonl"):
        record = json.loads(line)
        records[record["key"]] = record

    def output_of(key):
        record = records.get(key) or fail(f"no record for {key}")
        if record["status"] != "complete":
            fail(f"{key}: {record['status']}: {record.get('failure')}")
        rendition = record["outputs"][0]
        png = f"{work}/{key}.decoded.png"
        result = subprocess.run(["avifdec", f"{out}/{rendition['key']}", png], capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"avifdec could not decode {rendition['key']}:\n{result.stdout}{result.stderr}")
        return record, decoded(png).convert("RGB")

    problems = []
    garbage, _ = output_of("garbage-profile.png")
    note = garbage["result"]["source"].get("color_note") or ""
    if "could not be parsed" not in note:
        problems.append(f"garbage-profile.png: expected a fallback note, got {garbage['result']['source']}")

    print(f"{'input':<18} {'profile':<28} {'before':>7} {'after':>7} {'floor':>7} {'after/floor':>11}  (mean |error|, 8-bit levels)")
    for check in checks:
        record, output = output_of(check["tagged"])
        _, twin_output = output_of(check["twin"])
        after = mean_error(output, check["reference"])
        floor = mean_error(twin_output, check["twin_reference"])
        ratio = after / floor if floor > 0 else float("inf")
        print(f"{check['name']:<18} {check['profile']:<28} {check['before']:>7.2f} {after:>7.2f} {floor:>7.2f} {ratio:>11.2f}")
        space = record["result"]["source"].get("color_space")
        if space != check["description"]:
            problems.append(f"{check['tagged']}: record says color_space {space!r}, lcms2 reads {check['description']!r}")
        if record["result"]["source"].get("color_note"):
            problems.append(f"{check['tagged']}: unexpected note {record['result']['source']['color_note']!r}")
        if after > RATIO_LIMIT * floor + CMS_SLACK:
            problems.append(f"{check['tagged']}: error {after:.2f} is {ratio:.2f}x its sRGB twin's {floor:.2f} (limit {RATIO_LIMIT}x + {CMS_SLACK})")
    print("before: the source pixels taken as sRGB (the profile ignored; CMYK by the decoder's naive formula), no encode")
    print("after: the pipeline's AVIF; floor: the pipeline's AVIF of the sRGB-tagged twin (encode noise)")
    if problems:
        fail("\n  " + "\n  ".join(problems))
    print(f"colour-reference: every tagged input within {RATIO_LIMIT}x (+ {CMS_SLACK}) of its sRGB twin's error; unusable profile noted")


if __name__ == "__main__":
    main()
