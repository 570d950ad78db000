# Sourced by the scripts that run the release function on emulators (e2e.sh, fault-e2e.sh,
# load-test.sh): checks their tools, builds the x86_64 release `bootstrap` and sets
# $release_function to its path.
die() { echo "$(basename "$0"): FAIL: $*" >&2; exit 1; }
python3 -c 'import moto, boto3, flask, flask_cors' 2>/dev/null \
  || die "python3 needs moto[server] and boto3: pip install 'moto[server]' boto3"
for tool in cargo-lambda avifdec; do
  command -v "$tool" >/dev/null || die "$tool is not installed (cargo-lambda: pip install cargo-lambda; avifdec: apt-get install libavif-bin)"
done
target_dir=${CARGO_TARGET_DIR:-target}
echo "$(basename "$0"): building the release function (x86_64)"
cargo build --release --locked -p imagepipe-application --bin bootstrap
release_function=$target_dir/release/bootstrap
