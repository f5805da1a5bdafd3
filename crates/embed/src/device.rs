//! Which compute device runs the model.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;

use crate::error::EmbedError;

/// The compute device asked for. GPU back ends exist only when the crate is built with the
/// `cuda` or `metal` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The first GPU that is compiled in and present, else the CPU.
    #[default]
    Auto,
    /// The CPU (all cores, through Candle's thread pool).
    Cpu,
    /// CUDA device 0; an error when not compiled in or absent.
    Cuda,
    /// Metal device 0; an error when not compiled in or absent.
    Metal,
}

impl FromStr for DeviceChoice {
    type Err = EmbedError;

    /// Parses `auto`, `cpu`, `cuda` or `metal` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda),
            "metal" => Ok(Self::Metal),
            _ => Err(EmbedError::UnknownDevice(s.to_owned())),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::Metal => "metal",
        })
    }
}

impl DeviceChoice {
    /// Opens the device; returns it with a display name such as `cpu` or `cuda:0`.
    pub(crate) fn open(self) -> Result<(Device, String), EmbedError> {
        match self {
            Self::Cpu => Ok(cpu()),
            Self::Cuda => cuda(),
            Self::Metal => metal(),
            Self::Auto => {
                if cfg!(feature = "cuda") && candle_core::utils::cuda_is_available() {
                    match cuda() {
                        Ok(found) => return Ok(found),
                        Err(e) => tracing::warn!("{e}; trying the next device"),
                    }
                }
                if cfg!(feature = "metal") && candle_core::utils::metal_is_available() {
                    match metal() {
                        Ok(found) => return Ok(found),
                        Err(e) => tracing::warn!("{e}; using the CPU"),
                    }
                }
                Ok(cpu())
            }
        }
    }
}

fn cpu() -> (Device, String) {
    // Candle's matrix products run on a rayon pool of this many threads (RAYON_NUM_THREADS
    // or the cores this process may use).
    tracing::debug!(
        threads = candle_core::utils::get_num_threads(),
        "CPU device"
    );
    (Device::Cpu, "cpu".to_owned())
}

fn unavailable(device: &str, reason: impl fmt::Display) -> EmbedError {
    EmbedError::Device {
        device: device.to_owned(),
        reason: reason.to_string(),
    }
}

fn cuda() -> Result<(Device, String), EmbedError> {
    if !cfg!(feature = "cuda") {
        return Err(unavailable(
            "cuda",
            "glimpse-embed was built without the `cuda` feature",
        ));
    }
    let device = Device::new_cuda(0).map_err(|e| unavailable("cuda", e))?;
    Ok((device, "cuda:0".to_owned()))
}

fn metal() -> Result<(Device, String), EmbedError> {
    if !cfg!(feature = "metal") {
        return Err(unavailable(
            "metal",
            "glimpse-embed was built without the `metal` feature",
        ));
    }
    let device = Device::new_metal(0).map_err(|e| unavailable("metal", e))?;
    Ok((device, "metal:0".to_owned()))
}
