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
    // Terraform starts the plugin two to five times per command, so start-up cost counts. A
    // position-independent executable makes the dynamic loader apply ~50,000 relocations and
    // copy-on-write every page of vtables and other relocated constants before `main`: about
    // half of the start-up time and 2 MB of memory. Linked at a fixed address instead (as Go
    // links Terraform's other plugins), those pages are read straight from the file.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let descriptors = protox::compile(PROTOS, ["proto"]).map_err(io::Error::other)?;
    tonic_prost_build::configure()
        // RPCs the provider does not serve answer Unimplemented, as Terraform expects.
        .generate_default_stubs(true)
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)
}
