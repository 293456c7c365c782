//! Noticing that Terraform is gone. Terraform stops a provider through the controller's
//! `Shutdown`; when Terraform is killed or crashes instead, nothing tells the plugin, and an idle
//! plugin would live on. go-plugin hands the plugin Terraform's own standard input, which may be
//! `/dev/null` from the start, so its end says nothing; the parent process does: once it exits,
//! the plugin is re-parented.

use std::time::Duration;

/// How often the plugin checks that the process that launched it is still there.
pub const POLL: Duration = Duration::from_millis(250);

/// The process that launched the plugin, as it is now.
#[cfg(unix)]
pub fn launcher() -> Option<u32> {
    Some(std::os::unix::process::parent_id())
}

/// The process that launched the plugin: not watched where the platform does not say.
#[cfg(not(unix))]
pub fn launcher() -> Option<u32> {
    None
}

/// Resolves once the process `launcher` is no longer the plugin's parent; never when the
/// launcher is unknown (or init, whose going ends everything anyway).
pub async fn gone(launcher: Option<u32>) {
    match launcher {
        Some(pid) if pid > 1 => loop {
            tokio::time::sleep(POLL).await;
            if self::launcher() != Some(pid) {
                return;
            }
        },
        _ => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_present_parent_is_never_gone() {
        let watch = gone(launcher());
        assert!(tokio::time::timeout(POLL * 4, watch).await.is_err());
    }

    #[tokio::test]
    async fn a_parent_that_is_not_ours_is_gone_at_the_first_look() {
        let other = launcher().map(|pid| pid + 1);
        assert!(tokio::time::timeout(POLL * 2, gone(other)).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_launcher_is_not_watched() {
        assert!(tokio::time::timeout(POLL * 4, gone(None)).await.is_err());
    }
}
