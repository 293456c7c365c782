//! The lifecycle of an edge and two tenants with a real Terraform 1.15.5 against ministack, an
//! AWS emulator the project did not write (see `Scene::on_ministack`): apply, every tenant
//! served, a second plan with nothing to do, destroy, nothing left.
//!
//! `cargo test --test ministack_scene` (add `-- --nocapture` for step timings).

mod common;
mod scene;

use scene::{apply, destroy, plan_is_empty, Scene};

/// The version the scene runs.
const TERRAFORM: &str = "1.15.5";
/// The tenants, one `gateway_tenant` each.
const TENANTS: &[&str] = &["acme", "kite"];
/// The aliases a pool distribution may hold (the edge's default).
const ALIAS_CAP: usize = 100;

fn tenant(key: &str, name: &str) -> String {
    format!(
        "\nresource \"gateway_tenant\" \"{key}\" {{\n  edge_id = gateway_shared_edge.main.id\n  name    = \"{name}\"\n}}\n"
    )
}

#[test]
fn an_edge_and_two_tenants_are_served_and_leave_nothing_behind() {
    let scene = Scene::on_ministack("ministack-lifecycle");
    let main_tf = format!(
        "{}{}{}{}",
        scene.provider_hcl(),
        scene.edge_hcl(""),
        tenant("a", TENANTS[0]),
        tenant("b", TENANTS[1]),
    );
    let ws = scene.workspace(TERRAFORM, &main_tf);

    apply(&ws, "apply the edge and two tenants");
    let served = scene.assert_served(TENANTS, ALIAS_CAP);
    eprintln!(
        "[{}] served: {:?}, aliases per distribution {:?}",
        scene.name, served.tenants, served.aliases_per_distribution
    );
    plan_is_empty(&ws, "plan after apply");

    destroy(&ws, "destroy");
    scene.assert_nothing_left(&[]);
}

#[test]
#[should_panic(expected = "ministack has no control API")]
fn the_control_api_is_refused_on_ministack() {
    let scene = Scene::on_ministack("ministack-no-control-api");
    scene.calls();
}
