# Reference values for welcome_eval.checklist.position: quartiles of the peers' scores.
# R's default quantile (type 7, Hyndman & Fan 1996) -- the definition the checklist uses.
# Regenerate: Rscript tests/reference/checklist_quartiles.R (writes checklist_quartiles.json)
peers <- list(
  five = c(10, 20, 30, 50, 60),
  four = c(12.5, 40, 40, 87.5),
  seven = c(0, 5.5, 33.3, 47.9, 50, 61.25, 100),
  two = c(25, 75)
)
lines <- sapply(names(peers), function(name) {
  q <- quantile(peers[[name]], c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  sprintf('  "%s": {"values": [%s], "q": [%s]}', name,
          paste(format(peers[[name]], digits = 17), collapse = ", "),
          paste(format(q, digits = 17), collapse = ", "))
})
writeLines(c("{", paste(lines, collapse = ",\n"), "}"),
           file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                     "checklist_quartiles.json"))
