# Reference values for the retention API contract (issue 5): Kaplan-Meier
# intervals of every conf.type, medians, the log-rank statistic and the Cox
# likelihood-ratio test, on survival's public `lung` data.
#
# Run from the repository root:  Rscript tests/reference/survival_contract.R
# Reads tests/reference/survival_lung.csv (written by survival.R) and writes
# tests/reference/survival_contract.json.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
lung <- read.csv("tests/reference/survival_lung.csv")
lung$event <- as.integer(lung$status == 2)  # status: 1 censored, 2 dead
out <- list(versions = list(R = R.version.string,
                            survival = as.character(packageVersion("survival"))))
for (type in c("log", "log-log", "plain")) {
  fit <- survfit(Surv(time, event) ~ 1, data = lung, conf.type = type)
  out$km[[type]] <- list(time = fit$time, surv = fit$surv, lower = fit$lower,
                         upper = fit$upper)
}
fit <- survfit(Surv(time, event) ~ sex, data = lung)
s <- summary(fit, times = c(100, 365, 730))
out$km_times <- list(strata = as.character(s$strata), time = s$time, surv = s$surv,
                     std_err = s$std.err, lower = s$lower, upper = s$upper)
tab <- summary(fit)$table
out$median <- list(median = unname(tab[, "median"]), lower = unname(tab[, "0.95LCL"]),
                   upper = unname(tab[, "0.95UCL"]))
out$logrank <- list(statistic = survdiff(Surv(time, event) ~ sex, data = lung)$chisq)
cfit <- coxph(Surv(time, event) ~ age + sex, data = lung, ties = "efron")
lt <- summary(cfit)$logtest
out$cox_lr <- list(statistic = unname(lt["test"]), df = unname(lt["df"]),
                   p = unname(lt["pvalue"]))
write_json(out, "tests/reference/survival_contract.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
