//! Which Terraform command launched the provider, as far as the checks made at plan time need
//! to know it.
//!
//! `terraform destroy` first runs a normal plan of the whole configuration (to refresh the
//! state), and fails when any resource's plan fails. A tenant that cannot be created (no
//! capacity, a foreign object, a second owner) is not going to be created by a destroy, yet
//! its plan-time check would fail the destroy. Nothing in the protocol tells a plan of a
//! destroy from any other, so the provider reads the command line of the Terraform process
//! that launched it, where the platform shows it (Linux: `/proc`), and skips the checks that
//! only guard a creation. Where it cannot tell, the checks run; the same checks run again at
//! apply, before anything is changed, so skipping them never lets a bad create through.

use std::sync::OnceLock;

/// Whether the launching Terraform command destroys (`terraform destroy`, `apply -destroy`,
/// `plan -destroy`).
pub fn destroying() -> bool {
    static DESTROYING: OnceLock<bool> = OnceLock::new();
    *DESTROYING.get_or_init(|| launcher_args().is_some_and(|args| is_destroy(&args)))
}

#[cfg(target_os = "linux")]
fn launcher_args() -> Option<Vec<String>> {
    let parent = std::os::unix::process::parent_id();
    let raw = std::fs::read(format!("/proc/{parent}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

#[cfg(not(target_os = "linux"))]
fn launcher_args() -> Option<Vec<String>> {
    None
}

/// Whether Terraform arguments name a destroy: the `destroy` subcommand or the `-destroy`
/// planning mode (`-destroy=false` is not one). Values of other options never stand alone.
fn is_destroy(args: &[String]) -> bool {
    args.iter().skip(1).any(|a| {
        matches!(
            a.as_str(),
            "destroy" | "-destroy" | "--destroy" | "-destroy=true" | "--destroy=true"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroys_are_told_from_other_commands() {
        let args = |line: &str| -> Vec<String> { line.split(' ').map(String::from).collect() };
        for (line, destroy) in [
            ("terraform destroy -auto-approve", true),
            ("terraform -chdir=infra destroy", true),
            ("terraform apply -destroy -auto-approve", true),
            ("terraform plan -destroy=true", true),
            ("python3 terraform-shim.py destroy -input=false", true),
            ("terraform apply -auto-approve", false),
            ("terraform plan -destroy=false", false),
            ("terraform apply -var name=destroy", false),
            ("terraform plan -target=gateway_tenant.destroy", false),
            ("destroy", false),
        ] {
            assert_eq!(is_destroy(&args(line)), destroy, "{line}");
        }
    }
}
