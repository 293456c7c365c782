//! Runs a real Terraform against the freshly built provider: tools from `scripts/setup-tools.sh`,
//! each run isolated by `scripts/tf` (own HOME, CLI config with `dev_overrides`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Terraform releases the suite runs on.
pub const VERSIONS: [&str; 2] = ["1.15.5", "1.0.3"];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Installs the pinned tools once per test process.
pub fn ensure_tools() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let status = Command::new("bash")
            .arg(repo_root().join("scripts/setup-tools.sh"))
            .status()
            .expect("running scripts/setup-tools.sh");
        assert!(status.success(), "scripts/setup-tools.sh failed");
    });
}

/// What one Terraform command did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// The diagnostics of a `-json` command (validate prints one document; plan/apply print
    /// one JSON message per line).
    pub fn diagnostics(&self) -> Vec<serde_json::Value> {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&self.stdout) {
            if let Some(diags) = doc.get("diagnostics").and_then(|d| d.as_array()) {
                return diags.clone();
            }
        }
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["type"] == "diagnostic")
            .map(|m| m["diagnostic"].clone())
            .collect()
    }
}

/// A working directory with a configuration, run with one Terraform version.
pub struct Workspace {
    pub version: &'static str,
    pub dir: tempfile::TempDir,
    home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(version: &'static str, main_tf: &str) -> Self {
        ensure_tools();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        Self {
            version,
            dir,
            home: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    /// Runs `terraform <args>` in the workspace.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("running scripts/tf");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `terraform <args>` in the workspace without waiting for it; its output is
    /// discarded. The child is Terraform itself (`scripts/tf` execs it).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting scripts/tf")
    }

    fn command(&self, args: &[&str]) -> Command {
        let provider_dir = super::provider_binary().parent().unwrap().to_path_buf();
        let mut cmd = Command::new(repo_root().join("scripts/tf"));
        cmd.arg(self.version)
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_GATEWAY_PROVIDER_DIR", provider_dir)
            .env("TF_TEST_HOME", self.home.path())
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// The `terraform` block of every test configuration: the provider's source address.
const REQUIRED_PROVIDERS: &str = "
terraform {
  required_providers {
    gateway = { source = \"example/gateway\" }
  }
}
";

/// The provider block every test configuration starts with.
pub fn provider_block() -> String {
    format!(
        "{REQUIRED_PROVIDERS}
provider \"gateway\" {{
  region                      = \"eu-west-1\"
  skip_credentials_validation = true
}}
"
    )
}

/// The provider block pointed at an emulator at `url`.
pub fn emulated_provider_block(url: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}

provider "gateway" {{
  region                      = "eu-west-1"
  skip_credentials_validation = true
  max_retries                 = 2
  endpoints {{
    cloudfront = "{url}"
    route53    = "{url}"
    elbv2      = "{url}"
    sts        = "{url}"
  }}
}}
"#
    )
}

impl Workspace {
    /// Credentials the emulator accepts, and short pauses.
    pub fn with_emulator_env(mut self) -> Self {
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("GATEWAY_POLL_INTERVAL", "20ms"),
            ("GATEWAY_RATE_SCALE", "50"),
        ] {
            self.env.push((k.to_string(), v.to_string()));
        }
        self
    }
}
