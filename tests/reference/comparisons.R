# Reference values for the comparison and weighted/median functions of
# welcome_eval.stats, computed with base R (stats) and jsonlite.
#
# Run from the repository root:
#
#     Rscript tests/reference/comparisons.R
#
# It reads tests/reference/bfi_subset.csv (the same file the Python tests read)
# and writes tests/reference/comparisons.json at full precision
# (jsonlite, digits = NA). Definitions shared with tests/test_comparisons.py:
#
#   * weight: w = (1.25 for gender 1, 0.8 for gender 2)
#                 * (0.6 + 0.2 * education, or 1 if education is NA);
#   * Kish effective sample size n_eff = sum(w)^2 / sum(w^2) over the valid answers;
#   * top-2 box = codes 5 and 6 of the 6-point bfi items;
#   * groups: education (1-5, rows with NA education dropped) and gender;
#   * independent samples: "current" = gender 2, "previous" = gender 1;
#   * paired samples ("municipalities", key column "kommune"):
#       - "averaged":    before = rows 1-600,   kommune = (i - 1) %/% 2 + 1   (keys 1-300),
#                        after  = rows 601-1240, kommune = (i - 601) %% 320 + 1 (keys 1-320);
#                        two respondents per key and wave, averaged per key (na.rm = TRUE),
#                        keys 1-300 are matched;
#       - "averaged_small": before = rows 1-60, kommune = (i - 1) %/% 2 + 1 (keys 1-30),
#                        after = rows 61-120, kommune = (i - 61) %% 30 + 1;
#       - "within_row":  one respondent per key (kommune = row number), item "x":
#                        before = A2, after = A3 of the same row (and C1 -> C2 as item "y").
#   * median intervals: k = qbinom((1 - conf) / 2, n, 0.5), interval
#     sort(x)[c(k, n - k + 1)] (DescTools::MedianCI(method = "exact") via SignTest);
#     NA when k = 0.

suppressPackageStartupMessages(library(jsonlite))

csv_path <- file.path("tests", "reference", "bfi_subset.csv")
json_path <- file.path("tests", "reference", "comparisons.json")

bfi <- read.csv(csv_path)
stopifnot(nrow(bfi) == 2800, !anyNA(bfi$gender))

items <- c(paste0("A", 1:5), paste0("C", 1:5))
box_items <- c("A1", "A2", "A3", "C1", "C5")
w_all <- ifelse(bfi$gender == 1, 1.25, 0.8) *
  ifelse(is.na(bfi$education), 1, 0.6 + 0.2 * bfi$education)

# --- weighted top box: Kish n_eff in the Wilson and Clopper-Pearson formulas
wilson_ci <- function(p, n, conf) {
  z <- qnorm((1 + conf) / 2)
  centre <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
  half <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  c(centre - half, centre + half)
}
cp_ci <- function(p, n, conf) {
  x <- p * n
  a <- (1 - conf) / 2
  c(if (p == 0) 0 else qbeta(a, x, n - x + 1),
    if (p == 1) 1 else qbeta(1 - a, x + 1, n - x))
}
weighted_top_box <- function(item, conf) {
  v <- bfi[[item]]
  ok <- !is.na(v)
  v <- v[ok]
  w <- w_all[ok]
  share <- sum(w[v >= 5]) / sum(w)
  n_eff <- sum(w)^2 / sum(w^2)
  wil <- wilson_ci(share, n_eff, conf)
  cp <- cp_ci(share, n_eff, conf)
  list(item = item, conf_level = conf, n = sum(w), count = sum(w[v >= 5]),
       n_eff = n_eff, share = share,
       wilson_low = wil[1], wilson_high = wil[2], cp_low = cp[1], cp_high = cp[2])
}
top_box_weighted <- c(lapply(box_items, weighted_top_box, conf = 0.95),
                      lapply(box_items[1:2], weighted_top_box, conf = 0.90))

# --- weighted mean: descriptive, Kish n_eff and t(n_eff - 1)
weighted_mean_row <- function(item, conf) {
  v <- bfi[[item]]
  ok <- !is.na(v)
  v <- v[ok]
  w <- w_all[ok]
  m <- weighted.mean(v, w)
  n_eff <- sum(w)^2 / sum(w^2)
  s2 <- sum(w * (v - m)^2) / sum(w) * n_eff / (n_eff - 1)
  se <- sqrt(s2 / n_eff)
  half <- qt((1 + conf) / 2, n_eff - 1) * se
  list(item = item, conf_level = conf, n = length(v), n_eff = n_eff, mean = m,
       sd = sqrt(s2), se = se, ci_low = m - half, ci_high = m + half)
}
mean_weighted <- c(lapply(box_items, weighted_mean_row, conf = 0.95),
                   lapply(box_items[1:2], weighted_mean_row, conf = 0.90))

# --- median with the order-statistic (sign test) interval
median_row <- function(name, v, conf, keep_values = FALSE) {
  v <- v[!is.na(v)]
  n <- length(v)
  k <- qbinom((1 - conf) / 2, n, 0.5)
  s <- sort(v)
  ok <- k >= 1
  row <- list(name = name, conf_level = conf, n = n, median = median(v), k = k,
              coverage = if (ok) 1 - 2 * pbinom(k - 1, n, 0.5) else NA,
              ci_low = if (ok) s[k] else NA, ci_high = if (ok) s[n - k + 1] else NA)
  if (keep_values) row$values <- I(v)
  row
}
set.seed(20240611)
# two decimals, parsed from the printed text so that R and Python use the same doubles
continuous <- as.numeric(sprintf("%.2f", rnorm(37, mean = 3.2, sd = 0.9)))
median_ci <- c(
  lapply(box_items, function(item) median_row(item, bfi[[item]], 0.95)),
  lapply(box_items[1:2], function(item) median_row(item, bfi[[item]], 0.90)),
  list(median_row("continuous", continuous, 0.95, keep_values = TRUE),
       median_row("continuous_99", continuous, 0.99, keep_values = TRUE),
       median_row("continuous_first6", continuous[1:6], 0.95, keep_values = TRUE),
       median_row("continuous_first5", continuous[1:5], 0.95, keep_values = TRUE),
       median_row("continuous_first20", continuous[1:20], 0.90, keep_values = TRUE))
)
# the order-statistic index k for many n (tested through the interval of 1..n)
qbinom_k <- do.call(rbind, lapply(c(0.90, 0.95, 0.99), function(conf) {
  n <- c(1:120, 250, 999, 1000, 2799)
  data.frame(conf_level = conf, n = n, k = qbinom((1 - conf) / 2, n, 0.5))
}))

# --- weighted median: smallest x whose weighted CDF reaches 0.5
weighted_median <- function(v, w) {
  ok <- !is.na(v)
  v <- v[ok]
  w <- w[ok]
  o <- order(v)
  cw <- cumsum(w[o])
  v[o][which(cw >= 0.5 * sum(w))[1]]
}
continuous_weights <- as.numeric(sprintf("%.3f", runif(37, 0.2, 3)))
median_weighted <- c(
  lapply(box_items, function(item) {
    list(name = item, n = sum(!is.na(bfi[[item]])), median = weighted_median(bfi[[item]], w_all))
  }),
  list(list(name = "continuous", n = length(continuous),
            median = weighted_median(continuous, continuous_weights),
            values = continuous, weights = continuous_weights))
)

# --- groups: Kruskal-Wallis, one-way ANOVA, effect sizes, adjusted p-values
group_case <- function(name, rows, group) {
  d <- bfi[rows, ]
  out <- lapply(items, function(item) {
    ok <- !is.na(d[[item]]) & !is.na(d[[group]])
    y <- d[[item]][ok]
    g <- factor(d[[group]][ok])
    n <- length(y)
    kw <- kruskal.test(y, g)
    ow <- oneway.test(y ~ g, var.equal = TRUE)
    tab <- summary(aov(y ~ g))[[1]]
    list(item = item, n = n, k = nlevels(g),
         H = unname(kw$statistic), df = unname(kw$parameter), p_kw = kw$p.value,
         epsilon_sq = unname(kw$statistic) / ((n^2 - 1) / (n + 1)),
         F = unname(ow$statistic), df1 = unname(ow$parameter[1]),
         df2 = unname(ow$parameter[2]), p_anova = ow$p.value,
         F_aov = tab[1, "F value"], p_aov = tab[1, "Pr(>F)"],
         eta_sq = tab[1, "Sum Sq"] / sum(tab[, "Sum Sq"]))
  })
  p_kw <- sapply(out, `[[`, "p_kw")
  p_anova <- sapply(out, `[[`, "p_anova")
  for (i in seq_along(out)) {
    out[[i]]$p_kw_holm <- p.adjust(p_kw, "holm")[i]
    out[[i]]$p_anova_holm <- p.adjust(p_anova, "holm")[i]
    out[[i]]$p_kw_bh <- p.adjust(p_kw, "BH")[i]
    out[[i]]$p_anova_bh <- p.adjust(p_anova, "BH")[i]
  }
  list(name = name, first_row = min(rows), last_row = max(rows), group = group, rows = out)
}
groups <- list(
  group_case("education_all", 1:2800, "education"),
  group_case("education_first300", 1:300, "education"),
  group_case("gender_first200", 1:200, "gender")
)

# --- independent samples: Mann-Whitney U (normal approximation, continuity correction)
independent_case <- function(name, rows) {
  d <- bfi[rows, ]
  out <- lapply(items, function(item) {
    cur <- d[[item]][d$gender == 2]
    prev <- d[[item]][d$gender == 1]
    cur <- cur[!is.na(cur)]
    prev <- prev[!is.na(prev)]
    wt <- wilcox.test(cur, prev, exact = FALSE, correct = TRUE)
    W <- unname(wt$statistic)
    n1 <- length(cur)
    n2 <- length(prev)
    u_previous <- n1 * n2 - W
    list(item = item, n_current = n1, n_previous = n2, W = W, p_value = wt$p.value,
         rank_biserial = 1 - 2 * u_previous / (n1 * n2))
  })
  p <- sapply(out, `[[`, "p_value")
  for (i in seq_along(out)) {
    out[[i]]$p_holm <- p.adjust(p, "holm")[i]
    out[[i]]$p_bh <- p.adjust(p, "BH")[i]
  }
  list(name = name, first_row = min(rows), last_row = max(rows), rows = out)
}
independent <- list(
  independent_case("gender_all", 1:2800),
  independent_case("gender_first200", 1:200)
)

# --- paired samples: Wilcoxon signed rank and paired t on per-key means
per_key_means <- function(d, key, item_names) {
  keys <- sort(unique(key))
  out <- data.frame(kommune = keys)
  for (item in item_names) {
    out[[item]] <- sapply(keys, function(k) mean(d[[item]][key == k], na.rm = TRUE))
  }
  out
}
paired_rows <- function(before, after, item_names) {
  m <- merge(before, after, by = "kommune", suffixes = c(".before", ".after"))
  out <- lapply(item_names, function(item) {
    b <- m[[paste0(item, ".before")]]
    a <- m[[paste0(item, ".after")]]
    ok <- !is.na(a) & !is.na(b)
    a <- a[ok]
    b <- b[ok]
    wt <- wilcox.test(a, b, paired = TRUE, exact = FALSE, correct = TRUE)
    tt <- t.test(a, b, paired = TRUE)
    d <- a - b
    n_nonzero <- sum(d != 0)
    total <- n_nonzero * (n_nonzero + 1) / 2
    V <- unname(wt$statistic)
    list(item = item, n_pairs = length(a), n_nonzero = n_nonzero,
         mean_difference = unname(tt$estimate), ci_low = tt$conf.int[1],
         ci_high = tt$conf.int[2], p_t = tt$p.value, V = V, p_wilcoxon = wt$p.value,
         rank_biserial = (V - (total - V)) / total)
  })
  p <- sapply(out, `[[`, "p_wilcoxon")
  for (i in seq_along(out)) {
    out[[i]]$p_holm <- p.adjust(p, "holm")[i]
    out[[i]]$p_bh <- p.adjust(p, "BH")[i]
  }
  out
}
averaged_case <- function(name, before_rows, after_rows, modulus) {
  b <- bfi[before_rows, ]
  a <- bfi[after_rows, ]
  key_b <- (seq_along(before_rows) - 1) %/% 2 + 1
  key_a <- (seq_along(after_rows) - 1) %% modulus + 1
  list(name = name,
       before_first = min(before_rows), before_last = max(before_rows),
       after_first = min(after_rows), after_last = max(after_rows), modulus = modulus,
       rows = paired_rows(per_key_means(b, key_b, items), per_key_means(a, key_a, items),
                          items))
}
within_before <- data.frame(kommune = seq_len(nrow(bfi)), x = bfi$A2, y = bfi$C1)
within_after <- data.frame(kommune = seq_len(nrow(bfi)), x = bfi$A3, y = bfi$C2)
paired <- list(
  averaged_case("averaged", 1:600, 601:1240, 320),
  averaged_case("averaged_small", 1:60, 61:120, 30),
  list(name = "within_row", rows = paired_rows(within_before, within_after, c("x", "y")))
)

result <- list(
  meta = list(
    generated_by = "tests/reference/comparisons.R",
    r_version = R.version.string,
    data = csv_path
  ),
  top_box_weighted = top_box_weighted,
  mean_weighted = mean_weighted,
  median_ci = median_ci,
  qbinom_k = qbinom_k,
  median_weighted = median_weighted,
  groups = groups,
  independent = independent,
  paired = paired
)
writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           json_path)
message("wrote ", json_path)
