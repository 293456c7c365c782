//! Reads shared by every resource of one provider process: each is loaded once, on first use,
//! by one caller while the others wait, then patched as the provider changes AWS itself.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::aws::AwsError;

/// A lazily loaded value that can be patched in place or dropped to be loaded again.
pub struct Cached<T> {
    slot: tokio::sync::Mutex<Option<Arc<T>>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self {
            slot: tokio::sync::Mutex::new(None),
        }
    }
}

impl<T: Clone> Cached<T> {
    /// The cached value, loading it with `load` when absent. Concurrent callers share one load.
    pub async fn get_or_load<F, Fut>(&self, load: F) -> Result<Arc<T>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(value) = slot.as_ref() {
            return Ok(value.clone());
        }
        let value = Arc::new(load().await?);
        *slot = Some(value.clone());
        Ok(value)
    }

    /// Applies `change` to the cached value, if one is loaded.
    pub async fn patch(&self, change: impl FnOnce(&mut T)) {
        let mut slot = self.slot.lock().await;
        if let Some(value) = slot.as_mut() {
            change(Arc::make_mut(value));
        }
    }

    /// Drops the cached value: the next read loads it again.
    pub async fn invalidate(&self) {
        *self.slot.lock().await = None;
    }
}

/// [`Cached`] values by key (a listener, a hosted zone, an edge).
pub struct Keyed<T> {
    entries: Mutex<HashMap<String, Arc<Cached<T>>>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Keyed<T> {
    pub fn entry(&self, key: &str) -> Arc<Cached<T>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.entry(key.to_string()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_readers_share_one_load() {
        let cache: Arc<Cached<Vec<u32>>> = Arc::default();
        let loads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let cache = cache.clone();
            let loads = loads.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load(|| async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        Ok(vec![1])
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(*t.await.unwrap(), vec![1]);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        cache.patch(|v| v.push(2)).await;
        let v = cache.get_or_load(|| async { Ok(vec![]) }).await.unwrap();
        assert_eq!(*v, vec![1, 2]);
        cache.invalidate().await;
        let v = cache.get_or_load(|| async { Ok(vec![9]) }).await.unwrap();
        assert_eq!(*v, vec![9]);
    }
}

/// One async lock per key, for work that must not run twice at once (growing one pool slot).
#[derive(Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(key.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
