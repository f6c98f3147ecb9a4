# Reference values for welcome_eval.stats.cronbach_alpha and proportion_ci.
#
# Run from the repository root (needs R with psych and jsonlite):
#
#     Rscript tests/reference/reliability.R
#
# It reads tests/reference/bfi_subset.csv (the same file the Python tests read)
# and writes tests/reference/reliability.json at full precision
# (jsonlite, digits = NA).
#
# Cases (psych::alpha, check.keys = FALSE, default use = "pairwise"):
#   * agree      A1-A5, A1 reverse keyed (keys = c(-1, 1, 1, 1, 1));
#   * agree_raw  A1-A5 without reverse keying (warnings = FALSE);
#   * consc      C1-C5, C4 and C5 reverse keyed (keys = c(1, 1, 1, -1, -1));
#   * agree_listwise / consc_listwise  the same after na.omit() (listwise deletion).
# Interval: the Feldt et al. (1987) interval that psych::alpha returns as
# `$feldt` (computed by psych::alpha.ci and printed first as "Feldt"); the
# Duhachek-Iacobucci standard error `total$ase` is exported as well.
#
# Proportion intervals for a few (x, n), including x = 0 and x = n:
#   * Wilson          prop.test(x, n, correct = FALSE)$conf.int
#   * Clopper-Pearson binom.test(x, n)$conf.int
#   * Agresti-Coull   by formula (Agresti & Coull 1998), limits truncated to [0, 1]
#   * Wald            by formula, limits truncated to [0, 1]

suppressPackageStartupMessages({
  library(jsonlite)
  library(psych)
})

csv_path <- file.path("tests", "reference", "bfi_subset.csv")
json_path <- file.path("tests", "reference", "reliability.json")

bfi <- read.csv(csv_path)
stopifnot(nrow(bfi) == 2800)

alpha_case <- function(name, items, keys, listwise = FALSE) {
  x <- bfi[, items]
  if (listwise) x <- na.omit(x)
  a <- if (is.null(keys)) {
    psych::alpha(x, check.keys = FALSE, warnings = FALSE)
  } else {
    psych::alpha(x, keys = keys, check.keys = FALSE)
  }
  feldt90 <- psych::alpha.ci(a$total$raw_alpha, nrow(x), length(items), p.val = 0.10)
  list(
    name = name,
    items = items,
    reverse = I(items[!is.null(keys) & keys < 0]),
    listwise = listwise,
    n = nrow(x),
    n_items = length(items),
    raw_alpha = a$total$raw_alpha,
    std_alpha = a$total$std.alpha,
    ase = a$total$ase,
    mean = a$total$mean,
    sd = a$total$sd,
    feldt_low = a$feldt$lower.ci[[1]],
    feldt_high = a$feldt$upper.ci[[1]],
    feldt90_low = feldt90$lower.ci[[1]],
    feldt90_high = feldt90$upper.ci[[1]],
    item_n = unname(a$item.stats$n),
    r_drop = unname(a$item.stats$r.drop),
    item_mean = unname(a$item.stats$mean),
    alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
    std_alpha_if_deleted = unname(a$alpha.drop$std.alpha)
  )
}

a_items <- paste0("A", 1:5)
c_items <- paste0("C", 1:5)
alpha_cases <- list(
  alpha_case("agree", a_items, c(-1, 1, 1, 1, 1)),
  alpha_case("agree_raw", a_items, NULL),
  alpha_case("consc", c_items, c(1, 1, 1, -1, -1)),
  alpha_case("agree_listwise", a_items, c(-1, 1, 1, 1, 1), listwise = TRUE),
  alpha_case("consc_listwise", c_items, c(1, 1, 1, -1, -1), listwise = TRUE)
)

proportion_case <- function(x, n, conf_level = 0.95) {
  wilson <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = conf_level))$conf.int
  exact <- binom.test(x, n, conf.level = conf_level)$conf.int
  z <- qnorm((1 + conf_level) / 2)
  n_tilde <- n + z^2
  p_tilde <- (x + z^2 / 2) / n_tilde
  ac <- p_tilde + c(-1, 1) * z * sqrt(p_tilde * (1 - p_tilde) / n_tilde)
  p_hat <- x / n
  wald <- p_hat + c(-1, 1) * z * sqrt(p_hat * (1 - p_hat) / n)
  clip <- function(v) pmin(1, pmax(0, v))
  list(x = x, n = n, conf_level = conf_level,
       wilson = wilson[1:2], clopper_pearson = exact[1:2],
       agresti_coull = clip(ac), wald = clip(wald))
}
proportions <- list(
  proportion_case(0, 10), proportion_case(10, 10), proportion_case(1, 1),
  proportion_case(3, 17), proportion_case(412, 1000), proportion_case(2699, 2784),
  proportion_case(7, 40, conf_level = 0.90), proportion_case(0, 25, conf_level = 0.99)
)

result <- list(
  meta = list(
    generated_by = "tests/reference/reliability.R",
    r_version = R.version.string,
    psych_version = as.character(packageVersion("psych")),
    data = csv_path
  ),
  alpha = alpha_cases,
  proportion = proportions
)
writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, pretty = TRUE), json_path)
message("wrote ", json_path)
