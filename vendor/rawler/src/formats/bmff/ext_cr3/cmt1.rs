// SPDX-License-Identifier: MIT
// Copyright 2021 Daniel Vogelbacher <daniel@chaospixel.com>

use crate::{formats::bmff::BmffError, formats::tiff::GenericTiffReader};

use super::super::{BoxHeader, FourCC, ReadBox, Result};
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cmt1Box {
  pub header: BoxHeader,
  pub data: Vec<u8>,
  pub tiff: GenericTiffReader,
}

impl Cmt1Box {
  pub const TYP: FourCC = FourCC::with(['C', 'M', 'T', '1']);
}

impl<R: Read + Seek> ReadBox<&mut R> for Cmt1Box {
  fn read_box(reader: &mut R, header: BoxHeader) -> Result<Self> {
    let data = crate::formats::bmff::read_to_box_end(reader, &header)?;

    reader.seek(SeekFrom::Start(header.end_offset()))?;

    let tiff = GenericTiffReader::new_with_buffer(&data, 0, 0, None).map_err(|e| BmffError::Parse(e.to_string()))?;

    Ok(Self { header, data, tiff })
  }
}
