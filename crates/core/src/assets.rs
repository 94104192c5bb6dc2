//! Files a lab loads from the site's `public/` folder: a dataset, a shipped
//! checkpoint. The browser's worker fetches them once; native runs (the CLI,
//! tests) read them from the repository's `public/`. Labs only see bytes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A file that could not be loaded is kept as the reason why, so the lab
/// that needs it can say so (and one that can do without it goes on).
#[derive(Clone, Debug, Default)]
pub struct Assets {
    files: BTreeMap<String, Result<Arc<[u8]>, String>>,
}

impl Assets {
    /// `name` is a path under `public/`, such as `data/mnist14.bin`; `loaded`
    /// its bytes or why it could not be loaded.
    pub fn insert(&mut self, name: &str, loaded: Result<Vec<u8>, String>) {
        self.files.insert(name.to_string(), loaded.map(Arc::from));
    }

    /// Whether `name` was loaded (a failed try does not count, so it is tried again).
    pub fn has(&self, name: &str) -> bool {
        matches!(self.files.get(name), Some(Ok(_)))
    }

    pub fn get(&self, name: &str) -> Result<&[u8], String> {
        match self.files.get(name) {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(why)) => Err(why.clone()),
            None => Err(format!("the file public/{name} was not loaded")),
        }
    }

    /// Reads each of `names` from `public` (a folder laid out as `public/`).
    pub fn read_from(public: &Path, names: &[String]) -> Self {
        let mut assets = Self::default();
        for name in names {
            let file = public.join(name);
            let loaded =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()));
            assets.insert(name, loaded);
        }
        assets
    }

    /// The repository's `public/`, for native runs started anywhere inside it.
    pub fn repository_public() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../public")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_answers_with_its_reason() {
        let names = vec!["README.md".to_string(), "no/such.bin".to_string()];
        let assets = Assets::read_from(&Assets::repository_public(), &names);
        assert!(assets.get("README.md").is_ok_and(|b| !b.is_empty()));
        assert!(assets.has("README.md") && !assets.has("no/such.bin"));
        let why = assets.get("no/such.bin").unwrap_err();
        assert!(why.contains("no/such.bin"), "{why}");
        assert!(
            assets
                .get("never/asked")
                .unwrap_err()
                .contains("not loaded")
        );
    }
}
