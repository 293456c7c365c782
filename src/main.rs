//! The provider binary: Terraform launches it and talks to it over gRPC.

fn main() -> std::process::ExitCode {
    gateway::plugin::main_with(|_shutdown| gateway::provider_service())
}
