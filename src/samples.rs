//! The synthetic scan generator: documents of every type with ground truth.
//!
//! [`generate`] writes `count` scans, `NNNN_<doc_type>.<ext>`, each with its
//! ground truth `NNNN_<doc_type>.truth.json` holding the normalized record
//! (`{"doc_type": ..., "fields": {...}}`, empty fields for `unknown` pages).
//! The eight contract types come in rotation with one page in nine that is none
//! of them: another administrative paper with the same national header and
//! look-alike labels. Scans rotate through PNG, JPEG, two-page CCITT G4 TIFF and
//! image-only PDF. With `degrade`, each page also gets a random mix of what
//! scanning does to paper: skew, quarter turns, low resolution, heavy JPEG,
//! blur, speckles, yellowed paper, a red seal over the text, and layout
//! variants (stacked labels, paired fields, shuffled order).
//!
//! Every document draws from its own random stream, derived from the seed and
//! its index, so output is byte-identical for a seed whatever the thread count.
//! [`generate_with`] and [`Variety::Wide`] stray from the pages rules are tuned
//! on (other fonts, no resolution tags, units of 2025, applications), drawing
//! from streams of their own, so the standard output stays as it was.
//!
//! - `content`: values, how they are printed, and the truth.
//! - `draw`: fonts, page layout and text rasterization.
//! - `degrade`: skew, rotation, blur, speckles, paper tint, seal.
//! - `geometry`: the generator's own rotation and quarter turns (not the
//!   pipeline's, so the truth does not depend on the code it tests).
//! - `encode`: PNG, JPEG, G4 TIFF and PDF containers.
//! - `dossier`: several documents of several pages in one PDF, with or
//!   without separator sheets ([`dossier`]).

mod content;
mod degrade;
mod dossier;
mod draw;
mod encode;
mod geometry;

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde_json::Value;

use crate::schema::DocType;
use content::{Era, Item, Kind, Variant};
use degrade::Raster;
pub use dossier::{dossier, DossierDoc, DossierScan, Separator};
use draw::{EntryLayout, Fonts, Look};
use encode::{Bilevel, PdfPage};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    /// How many documents.
    pub count: usize,
    /// The seed; the same seed gives byte-identical files.
    pub seed: u64,
    /// Apply scanning defects and layout variants.
    pub degrade: bool,
}

/// Why samples could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// A font file the pages are drawn with cannot be read.
    #[error("cannot read font {path}: {source}; install the Debian package `{package}`")]
    FontMissing {
        /// The font file.
        path: PathBuf,
        /// The Debian package that provides it.
        package: &'static str,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// A font file is not a font the rasterizer understands.
    #[error("{path} is not a usable TrueType font; reinstall the Debian package `{package}`")]
    FontInvalid {
        /// The font file.
        path: PathBuf,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The output directory cannot be created.
    #[error("cannot create the output directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A scan or truth file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A page could not be encoded as an image.
    #[error("cannot encode a page as {what}: {source}")]
    Image {
        /// The image format.
        what: &'static str,
        /// The encoder error.
        #[source]
        source: image::ImageError,
    },
    /// The PDF container could not be written.
    #[error("cannot write the PDF container: {source}")]
    Pdf {
        /// The write error.
        #[source]
        source: std::io::Error,
    },
    /// A page is too wide for CCITT G4 in TIFF.
    #[error("a page is {width} pixels wide; CCITT G4 in TIFF takes at most 65535")]
    PageTooWide {
        /// The page width in pixels.
        width: u32,
    },
    /// The generator fills a field the type's schema does not have.
    #[error("schema {doc_type} has no field `{field}`; the generator and schemas/ disagree")]
    UnknownField {
        /// The document type.
        doc_type: DocType,
        /// The field name.
        field: String,
    },
    /// A generated record fails its own schema.
    #[error("a generated {doc_type} record fails its schema on {fields:?}")]
    InvalidTruth {
        /// The document type.
        doc_type: DocType,
        /// The failing fields.
        fields: Vec<String>,
    },
    /// The ground truth could not be serialized.
    #[error("cannot serialize the ground truth: {0}")]
    Json(#[from] serde_json::Error),
}

/// How far the generated pages stray from those the pipeline is tuned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variety {
    /// The standard generator (four font families, documents dated up to
    /// June 2025, every scan with its resolution).
    #[default]
    Standard,
    /// Also other font families from Debian (those installed; the standard
    /// four are still required), scans without a resolution tag (PDFs with
    /// 96-ppi page boxes), documents dated after the 2025 reorganisation that
    /// name its units, and applications for a household business
    /// registration among the `unknown` pages. For measuring on pages
    /// nobody tuned for.
    Wide,
}

/// Writes `count` documents into `out` (created if missing); returns the scan paths.
pub fn generate(out: &Path, opts: &SampleOptions) -> Result<Vec<PathBuf>, SampleError> {
    generate_with(out, opts, Variety::Standard)
}

/// [`generate`] with a [`Variety`]; [`Variety::Standard`] writes the same
/// bytes as [`generate`].
pub fn generate_with(
    out: &Path,
    opts: &SampleOptions,
    variety: Variety,
) -> Result<Vec<PathBuf>, SampleError> {
    std::fs::create_dir_all(out).map_err(|source| SampleError::CreateDir {
        path: out.to_path_buf(),
        source,
    })?;
    let fonts = match variety {
        Variety::Standard => Fonts::load()?,
        Variety::Wide => Fonts::load_wide()?,
    };
    (0..opts.count)
        .into_par_iter()
        .map(|index| {
            let sample = build(index, opts, &fonts, variety)?;
            let scan = out.join(format!("{}.{}", sample.stem, sample.format.ext()));
            let truth = out.join(format!("{}.truth.json", sample.stem));
            write(&scan, &sample.scan)?;
            write(&truth, sample.truth.as_bytes())?;
            Ok(scan)
        })
        .collect()
}

/// For tests: the bytes and the truth (`NAME.truth.json`) of the one scan
/// of a clean generated set with `seed`.
#[cfg(test)]
pub(crate) fn one_clean_scan(seed: u64) -> (Vec<u8>, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = SampleOptions {
        count: 1,
        seed,
        degrade: false,
    };
    let files = generate(dir.path(), &opts).expect("samples");
    let scan = files.first().expect("a scan");
    let truth = std::fs::read(crate::eval::truth_path(scan)).expect("truth");
    (
        std::fs::read(scan).expect("scan"),
        serde_json::from_slice(&truth).expect("truth json"),
    )
}

/// For tests: each scan of a degraded generated set of `count` documents
/// with `seed`, written under `dir`, with its bytes and its truth.
#[cfg(test)]
pub(crate) fn degraded_scans(
    dir: &Path,
    count: usize,
    seed: u64,
) -> Vec<(PathBuf, Vec<u8>, serde_json::Value)> {
    let opts = SampleOptions {
        count,
        seed,
        degrade: true,
    };
    let files = generate(dir, &opts).expect("samples");
    files
        .into_iter()
        .filter(|f| !f.to_string_lossy().ends_with(".json"))
        .map(|f| {
            let truth = std::fs::read(crate::eval::truth_path(&f)).expect("truth");
            let bytes = std::fs::read(&f).expect("scan");
            (
                f,
                bytes,
                serde_json::from_slice(&truth).expect("truth json"),
            )
        })
        .collect()
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    std::fs::write(path, bytes).map_err(|source| SampleError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The container a scan is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Jpeg,
    Tiff,
    Pdf,
}

impl Format {
    const ROTATION: [Format; 4] = [Format::Png, Format::Jpeg, Format::Tiff, Format::Pdf];

    fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
            Format::Tiff => "tif",
            Format::Pdf => "pdf",
        }
    }
}

/// How one page is rendered and spoiled.
#[derive(Debug, Clone)]
struct Plan {
    look: Look,
    format: Format,
    jpeg_quality: u8,
    shuffle: bool,
    yellow: bool,
    seal: bool,
    skew: Option<f32>,
    blur: u8,
    speckle: bool,
    quarters: u8,
    pdf_annex: bool,
    /// Write no resolution tag (PDFs get 96-ppi page boxes).
    untagged: bool,
}

impl Plan {
    fn clean(index: usize, rng: &mut StdRng, families: usize) -> Plan {
        Plan {
            look: Look::clean(rng, families),
            format: Format::ROTATION[index % Format::ROTATION.len()],
            jpeg_quality: 85,
            shuffle: false,
            yellow: false,
            seal: false,
            skew: None,
            blur: 0,
            speckle: false,
            quarters: 0,
            pdf_annex: false,
            untagged: false,
        }
    }

    fn degraded(rng: &mut StdRng, families: usize) -> Plan {
        let mut look = Look::clean(rng, families);
        look.dpi = if rng.gen_bool(0.45) {
            300
        } else {
            rng.gen_range(150..=200)
        };
        look.entries = match rng.gen_range(0..20) {
            0..=7 => EntryLayout::Inline,
            8..=12 => EntryLayout::Stacked,
            _ => EntryLayout::Mixed,
        };
        look.pair_short = rng.gen_bool(0.4);
        let format = match rng.gen_range(0..20) {
            0..=3 => Format::Png,
            4..=10 => Format::Jpeg,
            11..=15 => Format::Tiff,
            _ => Format::Pdf,
        };
        Plan {
            format,
            jpeg_quality: rng.gen_range(40..=70),
            shuffle: rng.gen_bool(0.3),
            yellow: rng.gen_bool(0.3),
            seal: rng.gen_bool(0.45),
            skew: rng.gen_bool(0.7).then(|| {
                let a = rng.gen_range(0.3..4.0f32);
                if rng.gen_bool(0.5) {
                    a
                } else {
                    -a
                }
            }),
            blur: if rng.gen_bool(0.4) {
                1 + u8::from(look.dpi > 220 && rng.gen_bool(0.5))
            } else {
                0
            },
            speckle: rng.gen_bool(0.5),
            quarters: if rng.gen_bool(0.15) {
                rng.gen_range(1..=3)
            } else {
                0
            },
            pdf_annex: rng.gen_bool(0.25),
            untagged: false,
            look,
        }
    }
}

impl Plan {
    /// The resolution the container declares, if any.
    fn tag(&self) -> Option<u32> {
        (!self.untagged).then_some(self.look.dpi)
    }

    /// The spoiling applied, as JSON.
    fn describe(&self) -> Value {
        serde_json::json!({
            "format": self.format.ext(),
            "dpi": self.look.dpi,
            "font": self.look.family,
            "layout": format!("{:?}", self.look.entries).to_lowercase(),
            "shuffled": self.shuffle,
            "skew_degrees": self.skew,
            "quarter_turns": self.quarters,
            "blur": self.blur,
            "speckle": self.speckle,
            "yellow": self.yellow,
            "seal": self.seal,
            "jpeg_quality": self.jpeg_quality,
        })
    }
}

/// One generated document in memory.
struct Sample {
    stem: String,
    format: Format,
    scan: Vec<u8>,
    truth: String,
}

/// A random stream for one purpose of one document.
fn stream(seed: u64, index: usize, purpose: u64) -> StdRng {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    StdRng::seed_from_u64(mix(mix(seed) ^ mix((index as u64) << 4 | purpose)))
}

/// The kind of the document at `index`: the eight types in turn, then one unknown.
fn kind_at(index: usize) -> Kind {
    let slot = index % (DocType::ALL.len() + 1);
    DocType::ALL
        .get(slot)
        .map_or(Kind::Unknown, |&t| Kind::Typed(t))
}

/// What [`Variety::Wide`] changes in one document, drawn from a stream of its
/// own so that the standard streams stay as they are.
struct Wide {
    variant: Variant,
    untagged: bool,
}

impl Wide {
    fn draw(kind: Kind, seed: u64, index: usize, degrade: bool) -> Wide {
        let mut rng = stream(seed, index, 5);
        let era = if rng.gen_bool(0.4) {
            Era::After2025
        } else {
            Era::Before2025
        };
        let business_application = kind == Kind::Unknown && rng.gen_bool(0.5);
        Wide {
            variant: Variant {
                era,
                business_application,
            },
            untagged: rng.gen_bool(if degrade { 0.35 } else { 0.3 }),
        }
    }
}

fn build(
    index: usize,
    opts: &SampleOptions,
    fonts: &Fonts,
    variety: Variety,
) -> Result<Sample, SampleError> {
    let kind = kind_at(index);
    let wide = (variety == Variety::Wide).then(|| Wide::draw(kind, opts.seed, index, opts.degrade));
    let variant = wide.as_ref().map_or_else(Variant::default, |w| w.variant);
    let mut doc = content::document(kind, &mut stream(opts.seed, index, 0), variant)?;
    if let Kind::Typed(t) = kind {
        let bad = t.schema().invalid_fields(&doc.truth);
        if !bad.is_empty() {
            return Err(SampleError::InvalidTruth {
                doc_type: t,
                fields: bad,
            });
        }
    }
    // The wide generator draws with the wide families only, when any is installed.
    let wide_fonts = fonts.wide();
    let (families, first) = match wide {
        Some(_) if !wide_fonts.is_empty() => (wide_fonts.len(), wide_fonts.start),
        _ => (fonts.families.len(), 0),
    };
    let mut rng = stream(opts.seed, index, if opts.degrade { 2 } else { 1 });
    let mut plan = if opts.degrade {
        Plan::degraded(&mut rng, families)
    } else {
        Plan::clean(index, &mut rng, families)
    };
    plan.look.family += first;
    let mut truth = serde_json::json!({
        "doc_type": kind.as_str(),
        "fields": doc.truth,
    });
    if opts.degrade {
        // What was done to the page, for reading an evaluation's mistakes.
        truth["scan"] = plan.describe();
    }
    if let Some(w) = &wide {
        plan.untagged = w.untagged;
        let mut scan = plan.describe();
        scan["font_name"] = fonts.name(plan.look.family).into();
        scan["resolution_tag"] = (!plan.untagged).into();
        scan["era"] = match w.variant.era {
            Era::Before2025 => "2008-2025",
            Era::After2025 => "2025-",
        }
        .into();
        truth["scan"] = scan;
        if doc.application {
            // A citizen's application: never to be classed as the certificate it asks for.
            truth["paper"] = "application".into();
        }
    }
    let truth = serde_json::to_string_pretty(&truth)? + "\n";
    if plan.shuffle {
        shuffle_entries(&mut doc.items, &mut rng);
    }
    let look = &plan.look;
    let rows = draw::rows(&doc.items, look, &mut rng);
    let (mut gray, anchors) = draw::render(fonts, look, &doc, &rows);
    draw::scribble(
        &mut gray,
        anchors.signature,
        look.ink.max(30),
        look.dpi,
        &mut rng,
    );

    // Skew and blur act on the gray page; colour comes after, so the costly
    // per-pixel work stays single-channel.
    let mut page = optics(Raster::Gray(gray), &plan);
    if plan.yellow || plan.seal {
        let (w, h) = (page.width(), page.height());
        let mut rgb = page.into_rgb();
        if plan.yellow {
            degrade::yellow(&mut rgb, &mut rng);
        }
        if plan.seal && !doc.seal_text.is_empty() {
            let (cx, cy) = degrade::seal_centre(anchors.signature, &anchors.entries, &mut rng);
            let (cx, cy) = match plan.skew {
                Some(angle) => degrade::skew_point(cx, cy, w, h, angle),
                None => (cx, cy),
            };
            degrade::seal(&mut rgb, fonts, &doc.seal_text, cx, cy, look.dpi, &mut rng);
        }
        page = Raster::Rgb(rgb);
    }
    let page = handling(page, &plan, &mut rng);

    let annex = match plan.format {
        Format::Tiff => true,
        Format::Pdf => plan.pdf_annex,
        _ => false,
    };
    let annex = annex.then(|| {
        let a = optics(Raster::Gray(draw::render_annex(fonts, look, &doc)), &plan);
        handling(a, &plan, &mut rng)
    });

    let dpi = plan.tag();
    let scan = match plan.format {
        Format::Png => encode::png(&page, dpi)?,
        // Clean JPEGs are colour scans; degraded ones may be gray scans.
        Format::Jpeg if opts.degrade => encode::jpeg(&page, plan.jpeg_quality, dpi)?,
        Format::Jpeg => {
            let rgb = Raster::Rgb(page.into_rgb());
            encode::jpeg(&rgb, plan.jpeg_quality, dpi)?
        }
        Format::Tiff => {
            let threshold = if opts.degrade {
                rng.gen_range(120..=170)
            } else {
                150
            };
            let mut pages = vec![Bilevel::threshold(&page.into_gray(), threshold)];
            if let Some(a) = annex {
                pages.push(Bilevel::threshold(&a.into_gray(), threshold));
            }
            encode::tiff_g4(&pages, dpi)?
        }
        Format::Pdf => {
            let mut pages = Vec::new();
            for p in std::iter::once(page).chain(annex) {
                pages.push(PdfPage {
                    jpeg: encode::jpeg(&p, plan.jpeg_quality, dpi)?,
                    width: p.width(),
                    height: p.height(),
                    gray: matches!(p, Raster::Gray(_)),
                    // What img2pdf and phone apps write for an image without a tag.
                    dpi: dpi.unwrap_or(96),
                });
            }
            encode::pdf(pages)?
        }
    };
    Ok(Sample {
        stem: format!("{index:04}_{}", kind.as_str()),
        format: plan.format,
        scan,
        truth,
    })
}

/// What the scanner's optics do: skew and blur.
fn optics(mut page: Raster, plan: &Plan) -> Raster {
    if let Some(angle) = plan.skew {
        page = page.skew(angle, [255, 255, 255]);
    }
    page.blur(plan.blur)
}

/// What handling does: dust specks and a page fed in turned.
fn handling(mut page: Raster, plan: &Plan, rng: &mut StdRng) -> Raster {
    if plan.speckle {
        page.speckle(rng, plan.look.dpi);
    }
    page.rotate_quarters(plan.quarters)
}

/// Shuffles the order of `label value` lines, leaving paragraphs and headings in place.
fn shuffle_entries(items: &mut [Item], rng: &mut StdRng) {
    let slots: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| matches!(it, Item::Entry(_)))
        .map(|(i, _)| i)
        .collect();
    let mut entries: Vec<Item> = slots.iter().map(|&i| items[i].clone()).collect();
    entries.shuffle(rng);
    for (slot, entry) in slots.into_iter().zip(entries) {
        items[slot] = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Form;
    use serde_json::Value;

    fn options(count: usize, degrade: bool) -> SampleOptions {
        SampleOptions {
            count,
            seed: 7,
            degrade,
        }
    }

    #[test]
    fn kinds_rotate_with_one_unknown_in_nine() {
        let kinds: Vec<Kind> = (0..18).map(kind_at).collect();
        assert_eq!(kinds.iter().filter(|k| **k == Kind::Unknown).count(), 2);
        for t in DocType::ALL {
            assert_eq!(kinds.iter().filter(|k| **k == Kind::Typed(t)).count(), 2);
        }
    }

    #[test]
    fn truth_validates_against_the_schema_for_many_seeds() {
        for seed in 0..40u64 {
            for index in 0..9 {
                let kind = kind_at(index);
                let doc = content::document(kind, &mut stream(seed, index, 0), Variant::default())
                    .unwrap();
                match kind {
                    Kind::Typed(t) => {
                        let bad = t.schema().invalid_fields(&doc.truth);
                        assert!(
                            bad.is_empty(),
                            "{t} seed {seed}: {bad:?} in {:?}",
                            doc.truth
                        );
                        check_forms(t, &doc.truth);
                        assert!(t.schema().titles.contains(&doc.title));
                    }
                    Kind::Unknown => {
                        assert!(doc.truth.is_empty());
                        assert!(DocType::ALL
                            .iter()
                            .all(|t| !t.schema().titles.contains(&doc.title)));
                    }
                }
            }
        }
    }

    /// Values beyond what the schema checks: upper-case NFC names, ids that agree
    /// with sex and year of birth.
    fn check_forms(t: DocType, fields: &std::collections::BTreeMap<String, Value>) {
        use unicode_normalization::UnicodeNormalization;
        for (name, value) in fields {
            let spec = t.schema().field(name).unwrap();
            if let Some(s) = value.as_str() {
                assert_eq!(s, s.nfc().collect::<String>(), "{name} not NFC");
                assert_eq!(s, s.trim());
            }
            if spec.form == Form::Name {
                let s = value.as_str().unwrap();
                assert_eq!(s, s.to_uppercase());
            }
        }
        let dob = fields.get("date_of_birth").and_then(Value::as_str);
        let id = fields
            .get("personal_id")
            .or_else(|| fields.get("id_number"))
            .and_then(Value::as_str);
        if let (Some(dob), Some(id), Some(sex)) =
            (dob, id, fields.get("sex").and_then(Value::as_str))
        {
            assert_eq!(&id[4..6], &dob[2..4], "{t}: id {id} vs {dob}");
            let digit = id.as_bytes()[3] - b'0';
            assert_eq!(digit % 2 == 1, sex == "female", "{t}: id {id} vs {sex}");
            let century = if dob.starts_with("19") { 0 } else { 1 };
            assert_eq!(digit / 2, century, "{t}: id {id} vs {dob}");
        }
        for (early, late) in [
            ("date_of_birth", "registration_date"),
            ("date_of_birth", "date_of_death"),
            ("date_of_death", "registration_date"),
            ("date_of_birth", "expiry_date"),
        ] {
            if let (Some(a), Some(b)) = (fields.get(early), fields.get(late)) {
                assert!(
                    a.as_str() <= b.as_str(),
                    "{t}: {early} {a} after {late} {b}"
                );
            }
        }
    }

    #[test]
    fn same_seed_gives_identical_files() {
        let fonts = Fonts::load().unwrap();
        for index in [0usize, 2, 3, 8] {
            let a = build(index, &options(9, false), &fonts, Variety::Standard).unwrap();
            let b = build(index, &options(9, false), &fonts, Variety::Standard).unwrap();
            assert_eq!(a.scan, b.scan, "scan {index}");
            assert_eq!(a.truth, b.truth);
        }
    }

    #[test]
    fn generate_writes_scans_and_truth() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("samples");
        let paths = generate(&out, &options(4, false)).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "0000_birth_certificate.png",
                "0001_death_extract.jpg",
                "0002_marriage_certificate.tif",
                "0003_citizen_id.pdf"
            ]
        );
        let truth: Value = serde_json::from_slice(
            &std::fs::read(out.join("0001_death_extract.truth.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(truth["doc_type"], "death_extract");
        assert!(truth["fields"]["full_name"].is_string());

        // Every container decodes to an A4 page at 300 dpi.
        let png = image::open(&paths[0]).unwrap();
        assert_eq!((png.width(), png.height()), (2480, 3508));
        assert!(png.as_luma8().is_some(), "clean PNG is gray");
        let jpg = image::open(&paths[1]).unwrap();
        assert!(jpg.as_rgb8().is_some(), "JPEG is RGB");
        let tif = std::fs::read(&paths[2]).unwrap();
        let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(tif)).unwrap();
        assert_eq!(dec.dimensions().unwrap(), (2480, 3508));
        dec.read_image().unwrap();
        dec.next_image().unwrap();
        dec.read_image().unwrap();
        let pdf = lopdf::Document::load(&paths[3]).unwrap();
        assert_eq!(pdf.get_pages().len(), 1);
    }

    #[test]
    fn degraded_output_differs_from_clean_but_says_the_same() {
        let fonts = Fonts::load().unwrap();
        let mut differs = 0;
        for index in 0..3 {
            let clean = build(index, &options(3, false), &fonts, Variety::Standard).unwrap();
            let bad = build(index, &options(3, true), &fonts, Variety::Standard).unwrap();
            // The same record; the degraded truth also says what was done.
            let record = |t: &str| {
                let mut v: serde_json::Value = serde_json::from_str(t).unwrap();
                v.as_object_mut().unwrap().remove("scan");
                v
            };
            assert_eq!(record(&clean.truth), record(&bad.truth));
            assert!(bad.truth.contains("\"scan\""));
            if clean.scan != bad.scan {
                differs += 1;
            }
        }
        assert_eq!(differs, 3);
    }

    #[test]
    fn wide_pages_stray_and_keep_their_truth() {
        let fonts = Fonts::load_wide().unwrap();
        let (mut after, mut untagged, mut applications) = (0, 0, 0);
        for seed in 0..3 {
            let opts = SampleOptions {
                count: 18,
                seed,
                degrade: seed == 2,
            };
            for index in 0..18 {
                let s = build(index, &opts, &fonts, Variety::Wide).unwrap();
                let truth: Value = serde_json::from_str(&s.truth).unwrap();
                let scan = &truth["scan"];
                after += usize::from(scan["era"] == "2025-");
                if scan["resolution_tag"] == false {
                    untagged += 1;
                    if s.format == Format::Png {
                        assert!(!s.scan.windows(4).any(|w| w == b"pHYs"));
                    }
                }
                if truth["paper"] == "application" {
                    applications += 1;
                    assert_eq!(truth["doc_type"], "unknown");
                }
                if !fonts.wide().is_empty() {
                    let family = scan["font"].as_u64().unwrap() as usize;
                    assert!(fonts.wide().contains(&family), "{family}");
                }
            }
        }
        assert!(after >= 5 && untagged >= 5 && applications >= 1);
        assert!(after < 40 && untagged < 40);
    }

    #[test]
    fn degraded_plans_cover_every_defect() {
        let mut seen = [0usize; 9];
        for index in 0..200 {
            let p = Plan::degraded(&mut stream(1, index, 2), 4);
            let flags = [
                p.skew.is_some(),
                p.quarters > 0,
                p.look.dpi < 300,
                p.blur > 0,
                p.speckle,
                p.seal,
                p.yellow,
                p.format == Format::Tiff,
                p.shuffle || p.look.pair_short || p.look.entries != EntryLayout::Inline,
            ];
            for (s, f) in seen.iter_mut().zip(flags) {
                *s += usize::from(f);
            }
            if let Some(a) = p.skew {
                assert!(a.abs() <= 4.0);
            }
            assert!((40..=70).contains(&p.jpeg_quality));
        }
        assert!(seen.iter().all(|&n| n >= 10), "{seen:?}");
    }

    /// Writes a sample set for a look by eye or with Tesseract:
    /// `DOCSEAL_SAMPLES_OUT=DIR [DOCSEAL_SAMPLES_COUNT=N] [DOCSEAL_SAMPLES_DEGRADE=1]
    /// cargo test --lib samples::tests::write_sample_set -- --ignored`.
    #[test]
    #[ignore = "writes files; run by hand"]
    fn write_sample_set() {
        let Ok(out) = std::env::var("DOCSEAL_SAMPLES_OUT") else {
            return;
        };
        let count = std::env::var("DOCSEAL_SAMPLES_COUNT")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(18);
        let degrade = std::env::var("DOCSEAL_SAMPLES_DEGRADE").is_ok_and(|v| v == "1");
        let start = std::time::Instant::now();
        let paths = generate(
            Path::new(&out),
            &SampleOptions {
                count,
                seed: 1,
                degrade,
            },
        )
        .unwrap();
        eprintln!("{} documents in {:.1?}", paths.len(), start.elapsed());
    }
}
