# Reference values for welcome_eval.quality: Kish's design effect, effective sample
# size and the distribution summary of a set of weights (weight_summary).
#
# Run from the repository root:
#
#     Rscript tests/reference/quality_weights.R
#
# It reads tests/reference/survey_api.csv (the sampling weights `pw` of the
# apistrat and apiclus1 samples of R's survey package; see SOURCES_survey.md)
# and writes tests/reference/quality_weights.json at full precision
# (jsonlite, digits = NA). Needs the R package jsonlite.
#
# Definitions (Kish 1965, § 11.7; Kish 1992):
#   deff  = n * sum(w^2) / sum(w)^2      (design effect due to unequal weights)
#   n_eff = sum(w)^2 / sum(w^2)           (effective sample size)
#   cv    = sqrt(mean((w - mean(w))^2)) / mean(w)   (divisor n, so deff = 1 + cv^2)
#   quantiles: quantile(w, p, type = 7)   (linear interpolation, numpy's default)
# R has no function for Kish's deff (survey::deff is the design effect of an
# estimate), so the formulas are written out; the check deff == 1 + cv^2 is
# printed as a sanity test of the two definitions.

suppressPackageStartupMessages(library(jsonlite))

api <- read.csv(file.path("tests", "reference", "survey_api.csv"), stringsAsFactors = FALSE)

summarise_weights <- function(w) {
  q <- quantile(w, c(0.05, 0.25, 0.5, 0.75, 0.95), type = 7, names = FALSE)
  cv <- sqrt(mean((w - mean(w))^2)) / mean(w)
  deff <- length(w) * sum(w^2) / sum(w)^2
  stopifnot(abs(deff - (1 + cv^2)) < 1e-12)
  list(
    n = length(w), total = sum(w), mean = mean(w),
    p05 = q[1], p25 = q[2], median = q[3], p75 = q[4], p95 = q[5],
    ratio_p95_p05 = q[5] / q[1], cv = cv, deff = deff, n_eff = sum(w)^2 / sum(w^2)
  )
}

sets <- list(
  apistrat_pw = api$pw[api$sample == "apistrat"],
  apiclus1_pw = api$pw[api$sample == "apiclus1"],
  # unequal weights by hand, including a zero weight (a record that counts for nothing)
  by_hand = c(0, 1, 3, 0.5, 2.5, 12, 1, 1),
  equal = rep(7.5, 10)
)

out <- list(
  meta = list(
    r_version = R.version.string,
    source = "tests/reference/survey_api.csv (survey::api), vectors by hand"
  ),
  weights = lapply(sets, function(w) list(values = w, summary = summarise_weights(w)))
)

json_path <- file.path("tests", "reference", "quality_weights.json")
write_json(out, json_path, auto_unbox = TRUE, digits = NA, pretty = TRUE)
message("wrote ", json_path)
