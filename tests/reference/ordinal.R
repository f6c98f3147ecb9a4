# Reference values for welcome_eval.drivers.ordinal_drivers (proportional-odds
# logistic regression), computed with MASS::polr.
#
# Run from the repository root (needs R with MASS and jsonlite):
#
#     Rscript tests/reference/ordinal.R
#
# It writes tests/reference/housing.csv (MASS::housing: Copenhagen housing
# conditions survey, 72 cells with frequency weights Freq) and
# tests/reference/ordinal.json at full precision (jsonlite, digits = NA).
#
# Model: polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
# with R's default treatment contrasts (reference = first factor level). The
# factor levels in their R order are written to the JSON, so the Python tests
# can rebuild the same reference categories from the CSV.
#
# Two fits are exported:
#   * "default": the call above, with optim's default convergence tolerance
#     (BFGS, reltol = 1e-8), i.e. what a user of polr sees;
#   * "tight": the same call with control = list(reltol = 1e-14, maxit = 1000),
#     so that the estimates are converged to (nearly) machine precision. The
#     Python tests compare against this fit.
# Standard errors are summary(fit) / vcov(fit): the inverse of optim's
# (numerically differentiated) Hessian, mapped to the cut points with the
# Jacobian of the cumulative-exp parametrisation (MASS:::vcov.polr).

suppressPackageStartupMessages({
  library(jsonlite)
  library(MASS)
})

csv_path <- file.path("tests", "reference", "housing.csv")
json_path <- file.path("tests", "reference", "ordinal.json")

write.csv(housing[, c("Sat", "Infl", "Type", "Cont", "Freq")], csv_path, row.names = FALSE)
message("wrote ", csv_path)

fit_case <- function(name, ...) {
  fit <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE, ...)
  s <- coef(summary(fit))
  pc <- length(coef(fit))
  list(
    name = name,
    convergence = fit$convergence,
    coefficients = data.frame(
      term = names(coef(fit)), estimate = unname(coef(fit)),
      se = unname(s[seq_len(pc), "Std. Error"])
    ),
    zeta = data.frame(
      threshold = names(fit$zeta), estimate = unname(fit$zeta),
      se = unname(s[pc + seq_along(fit$zeta), "Std. Error"])
    ),
    logLik = as.numeric(logLik(fit)),
    deviance = fit$deviance,
    nobs = fit$nobs
  )
}

result <- list(
  meta = list(
    generated_by = "tests/reference/ordinal.R",
    r_version = R.version.string,
    mass_version = as.character(packageVersion("MASS")),
    data = csv_path,
    formula = "Sat ~ Infl + Type + Cont, weights = Freq"
  ),
  levels = list(
    Sat = levels(housing$Sat), Infl = levels(housing$Infl),
    Type = levels(housing$Type), Cont = levels(housing$Cont)
  ),
  fits = list(
    fit_case("default"),
    fit_case("tight", control = list(reltol = 1e-14, maxit = 1000))
  )
)
writeLines(toJSON(result, digits = NA, auto_unbox = TRUE, pretty = TRUE), json_path)
message("wrote ", json_path)
