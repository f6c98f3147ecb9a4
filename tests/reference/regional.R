# Reference values for tests/test_regional.py: Cohen's h (pwr::ES.h written out, since the
# pwr package is not installed here: ES.h <- function(p1, p2) 2 * asin(sqrt(p1)) - 2 * asin(sqrt(p2)))
# and Holm-adjusted Mann-Whitney p-values (wilcox.test, normal approximation with continuity
# correction, as welcome_eval.stats.compare_independent).
# Run from the repository root: Rscript tests/reference/regional.R
ES.h <- function(p1, p2) 2 * asin(sqrt(p1)) - 2 * asin(sqrt(p2))
p1 <- c(0.65, 0.5, 0.1, 0.9, 0.33)
p2 <- c(0.45, 0.5, 0.3, 0.6, 0.71)
h <- ES.h(p1, p2)

early <- list(a = c(5, 5, 4, 5, 4, 5, 3, 4), b = c(3, 4, 2, 3, 4, 3, 2, 5))
late <- list(a = c(2, 3, 2, 3, 1, 2, 4), b = c(3, 3, 4, 2, 3, 4, 3))
p <- sapply(c("a", "b"), function(i)
  wilcox.test(early[[i]], late[[i]], exact = FALSE, correct = TRUE)$p.value)
w <- sapply(c("a", "b"), function(i)
  wilcox.test(early[[i]], late[[i]], exact = FALSE, correct = TRUE)$statistic)
r_rb <- 2 * w / (sapply(early, length) * sapply(late, length)) - 1

fmt <- function(x) paste(sprintf("%.17g", x), collapse = ", ")
json <- paste0(
  "{\n",
  '  "cohens_h": {"p1": [', fmt(p1), '], "p2": [', fmt(p2), '], "h": [', fmt(h), "]},\n",
  '  "two_groups": {"early": {"a": [', fmt(early$a), '], "b": [', fmt(early$b), "]},\n",
  '                 "late": {"a": [', fmt(late$a), '], "b": [', fmt(late$b), "]},\n",
  '                 "p_value": [', fmt(p), '], "p_holm": [', fmt(p.adjust(p, "holm")), "],\n",
  '                 "rank_biserial": [', fmt(r_rb), "]}\n",
  "}\n"
)
writeLines(json, "tests/reference/regional.json")
