#!/usr/bin/env bash
# gen_stubs.sh OUT: generates the Python modules of batonkit's contract
# (c1.connector.v2 and what it imports, and the child-process protocol's
# ServerConfig) from proto/ into OUT, with Debian's protoc and
# grpc_python_plugin (packages protobuf-compiler, protobuf-compiler-grpc).
# Generated, never edited: the tests and `make python-stubs` run this.
set -euo pipefail
out=${1:?output directory}; mkdir -p "$out"; out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
cd "$root"
protos=$(cd proto && find c1/connector/v2 c1/connector_wrapper/v1 c1/utls/v1 c1/ratelimit/v1 -name '*.proto' | sort)
protoc -I proto -I third_party/proto -I /usr/include \
  --python_out="$out" --grpc_out="$out" --plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" \
  $protos validate/validate.proto
# Python packages for the generated modules' imports (c1.connector.v2...).
find "$out" -type d -exec touch {}/__init__.py \;
