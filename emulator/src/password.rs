//! Password hashing: argon2id with OWASP's parameters, stored as PHC strings.
//!
//! Hashing is CPU- and memory-heavy, so it runs on blocking threads, at most one per core at a time (a login
//! burst queues instead of thrashing), each in a reused 19 MiB work area (so memory stays at cores × 19 MiB
//! instead of growing with every thread that ever hashed).

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::ids::{new_uuid, random_bytes};

/// Argon2id memory cost in KiB: 19 MiB, the OWASP minimum recommendation for argon2id.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over memory (OWASP: t=2 with 19 MiB).
pub const ITERATIONS: u32 = 2;
/// Lanes: 1, so one hash uses one core and the permit count decides parallelism.
pub const LANES: u32 = 1;
/// Length of the stored hash in bytes.
pub const OUTPUT_LEN: usize = 32;
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;

/// Why hashing or verifying could not be done (as opposed to a wrong password).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Argon2 refused its inputs or parameters.
    #[error("argon2: {0}")]
    Argon2(String),
    /// No randomness for a salt.
    #[error(transparent)]
    Randomness(#[from] crate::ids::RandomnessError),
    /// The blocking task died.
    #[error("hashing task failed: {0}")]
    Task(String),
    /// As many hashes as allowed are waiting or running already.
    #[error("too many hashes pending")]
    Busy,
}

fn argon2_error(error: impl std::fmt::Display) -> PasswordError {
    PasswordError::Argon2(error.to_string())
}

/// Reusable argon2 work areas.
#[derive(Default)]
struct WorkAreas(Mutex<Vec<Vec<Block>>>);

impl WorkAreas {
    /// Runs `work` with a work area of at least `blocks` blocks, then keeps the area for the next caller.
    fn with<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        let mut area = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .unwrap_or_default();
        if area.len() < blocks {
            area.resize(blocks, Block::default());
        }
        let result = work(&mut area[..blocks]);
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(area);
        result
    }
}

/// Hashes `password` with `salt` into `output` using the given algorithm, version and parameters.
fn compute(
    areas: &WorkAreas,
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    output: &mut [u8],
) -> Result<(), PasswordError> {
    let blocks = params.block_count();
    let hasher = Argon2::new(algorithm, version, params);
    areas
        .with(blocks, |memory| {
            hasher.hash_password_into_with_memory(password, salt, output, memory)
        })
        .map_err(argon2_error)
}

fn hash_blocking(areas: &WorkAreas, password: &str) -> Result<String, PasswordError> {
    let salt = random_bytes::<SALT_LEN>()?;
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_LEN)).map_err(argon2_error)?;
    let mut output = [0u8; OUTPUT_LEN];
    compute(
        areas,
        Algorithm::Argon2id,
        Version::V0x13,
        params,
        password.as_bytes(),
        &salt,
        &mut output,
    )?;
    let salt = SaltString::encode_b64(&salt).map_err(argon2_error)?;
    let output = Output::new(&output).map_err(argon2_error)?;
    Ok(format!(
        "$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={LANES}${}${output}",
        salt.as_str()
    ))
}

/// Verifies against a PHC string with whatever argon2 parameters it was made with.
fn verify_blocking(areas: &WorkAreas, password: &str, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored).map_err(argon2_error)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(argon2_error)?;
    let version = match parsed.version {
        Some(number) => Version::try_from(number).map_err(argon2_error)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(argon2_error)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::Argon2(
            "stored hash lacks salt or output".into(),
        ));
    };
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer).map_err(argon2_error)?;
    let mut output = vec![0u8; expected.len()];
    compute(
        areas,
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt,
        &mut output,
    )?;
    // Output's equality is constant-time.
    Ok(Output::new(&output).map_err(argon2_error)? == expected)
}

/// The hasher.
pub struct Passwords {
    permits: Semaphore,
    /// Hashes waiting or running, and the most allowed.
    pending: std::sync::atomic::AtomicUsize,
    max_pending: usize,
    areas: Arc<WorkAreas>,
    /// Hash of a random password, verified against when the user is unknown so that timing does not tell.
    dummy_hash: String,
}

impl Passwords {
    /// Prepares the hasher with at most `max_pending` hashes waiting or running (computes the
    /// dummy hash: call from a blocking context or accept ~20 ms).
    pub fn new(max_pending: usize) -> Result<Self, PasswordError> {
        let areas = Arc::new(WorkAreas::default());
        let dummy_hash = hash_blocking(&areas, &new_uuid()?)?;
        let cores = std::thread::available_parallelism().map_or(1, |count| count.get());
        Ok(Self {
            permits: Semaphore::new(cores),
            pending: std::sync::atomic::AtomicUsize::new(0),
            max_pending: max_pending.max(1),
            areas,
            dummy_hash,
        })
    }

    /// Runs `work` on a blocking thread with a permit held, so at most one hash per core runs
    /// at a time, each with a work area of its own. With `max_pending` hashes already waiting or
    /// running, refuses at once ([`PasswordError::Busy`]) rather than queueing one more.
    async fn on_blocking_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce(&WorkAreas) -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        use std::sync::atomic::Ordering;
        struct Pending<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Pending<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.max_pending {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(PasswordError::Busy);
        }
        let _pending = Pending(&self.pending);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|error| PasswordError::Task(error.to_string()))?;
        let areas = self.areas.clone();
        tokio::task::spawn_blocking(move || work(&areas))
            .await
            .map_err(|error| PasswordError::Task(error.to_string()))?
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.on_blocking_thread(move |areas| hash_blocking(areas, &password))
            .await
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time and says no.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let has_hash = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .on_blocking_thread(move |areas| verify_blocking(areas, &password, &stored))
            .await?;
        Ok(has_hash && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hash_is_argon2id_phc_and_verifies_only_the_right_password() {
        let areas = WorkAreas::default();
        let stored = hash_blocking(&areas, "s3cret").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_blocking(&areas, "s3cret", &stored).unwrap());
        assert!(!verify_blocking(&areas, "s3cret!", &stored).unwrap());
        // Salted: the same password hashes differently.
        assert_ne!(stored, hash_blocking(&areas, "s3cret").unwrap());
        // The reference implementation agrees with our PHC string, both ways.
        let reference = Argon2::default();
        assert!(reference
            .verify_password(b"s3cret", &PasswordHash::new(&stored).unwrap())
            .is_ok());
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let other = reference.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(verify_blocking(&areas, "pw", &other).unwrap());
        assert!(verify_blocking(&areas, "pw", "not a phc string").is_err());
    }
}
