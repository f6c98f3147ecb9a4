# Reference values for welcome_eval.stats, computed with base R.
#
# Run from the repository root:
#
#     Rscript tests/reference/likert_basics.R
#
# It reads tests/reference/bfi_subset.csv (the same file the Python tests read)
# and writes tests/reference/likert_basics.json at full precision
# (jsonlite, digits = NA). Only base R and jsonlite are needed to compute the
# values; the psych package is only needed to re-export the CSV:
#
#     Rscript tests/reference/likert_basics.R --export
#
# Definitions shared with tests/test_stats.py:
#   * top-2 box = codes 5 and 6 of the 6-point bfi items, bottom-2 = codes 1 and 2;
#   * "current" wave = gender 2, "previous" wave = gender 1 (independent samples);
#   * NPS variable: nps = pmin(10, (A2 - 1) * 2 + (C1 > 3)), NA if A2 or C1 is NA;
#   * weight: w = 1.25 for gender 1, 0.8 for gender 2.

suppressPackageStartupMessages(library(jsonlite))

csv_path <- file.path("tests", "reference", "bfi_subset.csv")
json_path <- file.path("tests", "reference", "likert_basics.json")
columns <- c(paste0("A", 1:5), paste0("C", 1:5), "gender", "education")

if ("--export" %in% commandArgs(trailingOnly = TRUE)) {
  data("bfi", package = "psych", envir = environment())
  write.csv(bfi[, columns], csv_path, row.names = FALSE, na = "")
  message("wrote ", csv_path)
}

bfi <- read.csv(csv_path)
stopifnot(identical(names(bfi), columns), nrow(bfi) == 2800)

items <- c("A1", "A2", "A3", "C1", "C5")

# --- top-box shares: Wilson (score, no continuity correction) and Clopper-Pearson
box_row <- function(name, x, n, conf_level = 0.95) {
  # prop.test warns about the chi-squared approximation for tiny n; the Wilson
  # interval it returns is what we want, so the warning is silenced.
  wilson <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = conf_level))$conf.int
  exact <- binom.test(x, n, conf.level = conf_level)$conf.int
  list(name = name, count = x, n = n, share = x / n, conf_level = conf_level,
       wilson_low = wilson[1], wilson_high = wilson[2],
       cp_low = exact[1], cp_high = exact[2])
}
top_box <- lapply(items, function(item) {
  v <- bfi[[item]][!is.na(bfi[[item]])]
  box_row(item, sum(v >= 5), length(v))
})
bottom_box <- lapply(items, function(item) {
  v <- bfi[[item]][!is.na(bfi[[item]])]
  box_row(item, sum(v <= 2), length(v))
})
top_box_90 <- lapply(items[1:2], function(item) {
  v <- bfi[[item]][!is.na(bfi[[item]])]
  box_row(item, sum(v >= 5), length(v), conf_level = 0.90)
})

# Edge cases: no answer in the top box (x = 0) and only top-box answers (x = n).
edge_values <- list(
  none = c(1, 2, 3, 4, 1, 2, 3, 4, 2, 3),
  all = c(5, 6, 6, 5, 5, 6, 5),
  single = c(6)
)
top_box_edge <- lapply(names(edge_values), function(name) {
  v <- edge_values[[name]]
  row <- box_row(name, sum(v >= 5), length(v))
  row$values <- I(v)  # keep a JSON array even for length 1
  row
})

# --- means with t intervals
mean_row <- function(item, conf_level = 0.95) {
  v <- bfi[[item]][!is.na(bfi[[item]])]
  tt <- t.test(v, conf.level = conf_level)
  list(item = item, n = length(v), mean = mean(v), sd = sd(v),
       se = sd(v) / sqrt(length(v)), conf_level = conf_level,
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2])
}
mean_ci <- c(lapply(items, mean_row), lapply(items[1:2], mean_row, conf_level = 0.90))

# --- Welch two-sample t test: gender 2 ("current") minus gender 1 ("previous")
welch <- lapply(items, function(item) {
  x <- bfi[[item]][bfi$gender == 2]
  y <- bfi[[item]][bfi$gender == 1]
  tt <- t.test(x, y)  # var.equal = FALSE is the default: Welch
  list(item = item,
       n_current = sum(!is.na(x)), n_previous = sum(!is.na(y)),
       mean_current = unname(tt$estimate[1]), mean_previous = unname(tt$estimate[2]),
       difference = unname(tt$estimate[1] - tt$estimate[2]),
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
       df = unname(tt$parameter), statistic = unname(tt$statistic),
       p_value = tt$p.value)
})

# --- Net promoter score with the analytic standard error
nps_values <- pmin(10, (bfi$A2 - 1) * 2 + (bfi$C1 > 3))
nps_row <- function(values, conf_level = 0.95) {
  v <- values[!is.na(values)]
  n <- length(v)
  p_pro <- mean(v >= 9)
  p_det <- mean(v <= 6)
  score <- 100 * (p_pro - p_det)
  se <- 100 * sqrt((p_pro + p_det - (p_pro - p_det)^2) / n)
  z <- qnorm((1 + conf_level) / 2)
  list(n = n, promoters = p_pro, passives = mean(v >= 7 & v <= 8), detractors = p_det,
       nps = score, se = se, conf_level = conf_level,
       ci_low = score - z * se, ci_high = score + z * se,
       counts = as.list(table(factor(v, levels = 0:10))))
}
nps <- list(nps_row(nps_values), nps_row(nps_values, conf_level = 0.90))

# --- Likert distributions, unweighted and weighted
weights <- ifelse(bfi$gender == 1, 1.25, 0.8)
distribution <- do.call(rbind, lapply(items, function(item) {
  v <- bfi[[item]]
  ok <- !is.na(v)
  counts <- as.vector(table(factor(v[ok], levels = 1:6)))
  wcounts <- as.vector(xtabs(weights[ok] ~ factor(v[ok], levels = 1:6)))
  data.frame(item = item, code = 1:6,
             n = counts, share = counts / sum(counts), n_valid = sum(counts),
             n_weighted = wcounts, share_weighted = wcounts / sum(wcounts),
             n_valid_weighted = sum(wcounts))
}))

result <- list(
  meta = list(
    generated_by = "tests/reference/likert_basics.R",
    r_version = R.version.string,
    data = csv_path
  ),
  top_box = top_box,
  bottom_box = bottom_box,
  top_box_90 = top_box_90,
  top_box_edge = top_box_edge,
  mean_ci = mean_ci,
  welch = welch,
  nps = nps,
  distribution = distribution
)
writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, pretty = TRUE), json_path)
message("wrote ", json_path)
