//! Compiles the wire protocol under `proto/` with a pure-Rust protobuf compiler, so a fresh machine
//! needs nothing but cargo to build the provider.

use std::io;

const PROTOS: &[&str] = &[
    "tfplugin6.proto",
    "grpc_controller.proto",
    "grpc_stdio.proto",
    "grpc_broker.proto",
];

fn main() -> io::Result<()> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=proto/{proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"]).map_err(io::Error::other)?;
    tonic_prost_build::configure()
        // RPCs the provider does not serve answer Unimplemented, as Terraform expects.
        .generate_default_stubs(true)
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)
}
