// The Node.js + sharp peer of the Rust function, for dev/bench/lambda.py: a custom-runtime
// loop on the Lambda Runtime API doing what the Rust function does for a direct S3 event (read
// the record, get the object, two renditions boxed into IMAGEPIPE_RENDITIONS, AVIF at sharp's
// defaults, put both, write the record), with the AWS SDK for JavaScript v3 against the same
// endpoints. It is what the AWS "serverless image handler" does on Node.js Lambda, minus its
// extras; it is a benchmark peer, not a second implementation to deploy.
// AVIF settings: sharp's defaults unless IMAGEPIPE_PEER_AVIF_QUALITY / IMAGEPIPE_PEER_AVIF_EFFORT
// say otherwise (the benchmark's bytes-matched preset).
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import sharp from "sharp";

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API.replace(/^https?:\/\//, "")}/2018-06-01/runtime`;
const outputBucket = process.env.IMAGEPIPE_OUTPUT_BUCKET;
const table = process.env.IMAGEPIPE_RECORDS_TABLE;
const prefix = process.env.IMAGEPIPE_OUTPUT_PREFIX ?? "renditions/";
const renditions = (process.env.IMAGEPIPE_RENDITIONS ?? "thumb=160x160,display=640x640")
  .split(",")
  .map((entry) => {
    const [name, size] = entry.split("=");
    const [width, height] = size.split("x").map(Number);
    return { name, width, height };
  });

const avifOptions = Object.fromEntries(
  [
    ["quality", process.env.IMAGEPIPE_PEER_AVIF_QUALITY],
    ["effort", process.env.IMAGEPIPE_PEER_AVIF_EFFORT],
  ]
    .filter(([, value]) => value)
    .map(([option, value]) => [option, Number(value)]),
);

// Built once per environment, like the Rust function's clients. Path-style: the endpoints here
// are IP addresses.
const s3 = new S3Client({ forcePathStyle: true });
const dynamodb = new DynamoDBClient({});

async function processObject(record) {
  const bucket = record.s3.bucket.name;
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
  const versionId = record.s3.object.versionId ?? undefined;
  const objectId = `s3://${bucket}/${key}`;
  await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { object_id: { S: objectId } }, ConsistentRead: true }),
  );
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const input = Buffer.from(await object.Body.transformToByteArray());
  const written = [];
  for (const rendition of renditions) {
    const { data, info } = await sharp(input)
      .rotate()
      .resize(rendition.width, rendition.height, { fit: "inside", withoutEnlargement: true })
      .avif(avifOptions)
      .toBuffer({ resolveWithObject: true });
    const outputKey = `${prefix}node-peer/${key}/${rendition.name}.avif`;
    await s3.send(
      new PutObjectCommand({ Bucket: outputBucket, Key: outputKey, Body: data, ContentType: "image/avif" }),
    );
    written.push({
      M: {
        name: { S: rendition.name },
        key: { S: outputKey },
        width: { N: String(info.width) },
        height: { N: String(info.height) },
        bytes: { N: String(data.length) },
      },
    });
  }
  await dynamodb.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        object_id: { S: objectId },
        status: { S: "complete" },
        renditions: { L: written },
      },
    }),
  );
}

for (;;) {
  const next = await fetch(`${api}/invocation/next`);
  const requestId = next.headers.get("lambda-runtime-aws-request-id");
  const event = await next.json();
  try {
    for (const record of event.Records ?? []) {
      await processObject(record);
    }
    await fetch(`${api}/invocation/${requestId}/response`, {
      method: "POST",
      body: JSON.stringify({ objects: (event.Records ?? []).length }),
    });
  } catch (error) {
    await fetch(`${api}/invocation/${requestId}/error`, {
      method: "POST",
      body: JSON.stringify({ errorType: error.name, errorMessage: String(error.message) }),
    });
  }
}
