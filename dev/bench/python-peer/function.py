"""The Python + Pillow peer of the Rust function, for dev/bench/lambda.py: a custom-runtime loop
on the Lambda Runtime API doing what the Rust function does for a direct S3 event (read the
record, get the object, decode, apply the EXIF orientation, convert an embedded ICC profile to
sRGB, two renditions boxed into IMAGEPIPE_RENDITIONS with Lanczos, AVIF through Pillow's own
libavif + aom, put both, write the record), with boto3 against the same endpoints. Like the
Node.js peer it drives the Runtime API itself (one kept-alive connection), so both peers are
measured the same way; it is a benchmark peer, not a second implementation to deploy.

AVIF settings: Pillow's defaults unless IMAGEPIPE_PEER_AVIF_QUALITY / IMAGEPIPE_PEER_AVIF_SPEED
say otherwise (the benchmark's bytes-matched preset).
"""

import http.client
import io
import json
import os
import traceback
from urllib.parse import unquote_plus

import boto3
from botocore.config import Config
from PIL import Image, ImageCms, ImageOps

OUTPUT_BUCKET = os.environ["IMAGEPIPE_OUTPUT_BUCKET"]
TABLE = os.environ["IMAGEPIPE_RECORDS_TABLE"]
PREFIX = os.environ.get("IMAGEPIPE_OUTPUT_PREFIX", "renditions/")


def parse_renditions(spec):
    renditions = []
    for entry in spec.split(","):
        name, size = entry.split("=")
        width, height = (int(n) for n in size.split("x"))
        renditions.append((name, width, height))
    return renditions


RENDITIONS = parse_renditions(os.environ.get("IMAGEPIPE_RENDITIONS", "thumb=160x160,display=640x640"))
AVIF_OPTIONS = {
    option: int(os.environ[variable])
    for option, variable in (("quality", "IMAGEPIPE_PEER_AVIF_QUALITY"), ("speed", "IMAGEPIPE_PEER_AVIF_SPEED"))
    if os.environ.get(variable)
}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

# Built once per environment, like the Rust function's clients. Path-style: the endpoints here
# are IP addresses.
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
dynamodb = boto3.client("dynamodb")


def to_srgb(image):
    """Pixels in sRGB without a profile, as the Rust function and sharp write them."""
    profile = image.info.get("icc_profile")
    if profile:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        mode = "RGBA" if "A" in image.getbands() else "RGB"
        image = ImageCms.profileToProfile(image, source, SRGB, outputMode=mode)
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.info.pop("icc_profile", None)
    return image


def process(record):
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])
    version_id = record["s3"]["object"].get("versionId")
    object_id = f"s3://{bucket}/{key}"
    dynamodb.get_item(TableName=TABLE, Key={"object_id": {"S": object_id}}, ConsistentRead=True)
    request = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    body = s3.get_object(**request)["Body"].read()
    with Image.open(io.BytesIO(body)) as decoded:
        image = to_srgb(ImageOps.exif_transpose(decoded))
    written = []
    for name, width, height in RENDITIONS:
        rendition = image.copy()
        # Fit inside the box, never enlarge; reducing_gap=None: a plain Lanczos resample.
        rendition.thumbnail((width, height), Image.Resampling.LANCZOS, reducing_gap=None)
        out = io.BytesIO()
        rendition.save(out, "AVIF", icc_profile=None, **AVIF_OPTIONS)
        data = out.getvalue()
        output_key = f"{PREFIX}python-peer/{key}/{name}.avif"
        s3.put_object(Bucket=OUTPUT_BUCKET, Key=output_key, Body=data, ContentType="image/avif")
        written.append({"M": {
            "name": {"S": name},
            "key": {"S": output_key},
            "width": {"N": str(rendition.width)},
            "height": {"N": str(rendition.height)},
            "bytes": {"N": str(len(data))},
        }})
    dynamodb.put_item(TableName=TABLE, Item={
        "object_id": {"S": object_id},
        "status": {"S": "complete"},
        "renditions": {"L": written},
    })


def main():
    # host:port as Lambda sets it; emulators may add a path prefix (cargo lambda watch: /.rt).
    address = os.environ["AWS_LAMBDA_RUNTIME_API"].removeprefix("http://").removeprefix("https://")
    host, _, prefix = address.partition("/")
    api = http.client.HTTPConnection(host, timeout=None)
    base = f"/{prefix}/2018-06-01/runtime" if prefix else "/2018-06-01/runtime"

    def post(path, payload):
        api.request("POST", f"{base}{path}", body=json.dumps(payload).encode(),
                    headers={"Content-Type": "application/json"})
        api.getresponse().read()

    while True:
        api.request("GET", f"{base}/invocation/next")
        response = api.getresponse()
        event = json.loads(response.read())
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        try:
            records = event.get("Records") or []
            for record in records:
                process(record)
            post(f"/invocation/{request_id}/response", {"objects": len(records)})
        except Exception as error:  # noqa: BLE001 - reported to the Runtime API, as Lambda would
            traceback.print_exc()
            post(f"/invocation/{request_id}/error",
                 {"errorType": type(error).__name__, "errorMessage": str(error)})


if __name__ == "__main__":
    main()
