# Generates the synthetic data sets that make_reference.R reads (run once; the CSV files are
# committed, so the reference values do not depend on R's random number generator).
#
#   Rscript tests/reference/make_data.R      (from the repository root)
#
# population_cells.csv  register counts per region x sector cell (6 200 members)
# population_margins.csv the same counts summed per margin (region, sector)
# sample.csv            310 respondents, drawn with unequal response by cell so that the
#                       weights differ; one single-choice question (5 options incl. "Vet ej"),
#                       two multiple-choice indicators and a 1-10 scale.

here <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(file)) dirname(normalizePath(file)) else getwd()
}
out <- here()
set.seed(20240611)

regions <- c("Norr", "Mitt", "Syd", "Stockholm")
sectors <- c("Kommun", "Region", "Privat")
options <- c("Mycket nöjd", "Ganska nöjd", "Ganska missnöjd", "Mycket missnöjd", "Vet ej")

population <- expand.grid(sector = sectors, region = regions, stringsAsFactors = FALSE)
population <- population[, c("region", "sector")]
population$count <- c(620, 410, 280, 540, 380, 330, 700, 450, 390, 820, 520, 760)
# respondents per cell: deliberately not proportional (response differs by cell)
respondents <- c(30, 14, 8, 28, 20, 12, 36, 25, 14, 50, 38, 35)

rows <- list()
id <- 0
for (k in seq_len(nrow(population))) {
  region <- population$region[k]
  sector <- population$sector[k]
  n <- respondents[k]
  base <- c(0.22, 0.38, 0.20, 0.10, 0.10)
  if (region == "Stockholm") base <- c(0.30, 0.36, 0.16, 0.08, 0.10)
  if (sector == "Privat") base <- base + c(-0.08, -0.04, 0.06, 0.04, 0.02)
  if (region == "Norr") base[4] <- 0 # nobody in Norr is "Mycket missnöjd": a share of 0
  answer <- sample(options, n, replace = TRUE, prob = base / sum(base))
  mc_lon <- rbinom(n, 1, if (sector == "Privat") 0.55 else 0.40)
  mc_arbetsmiljo <- rbinom(n, 1, if (region == "Syd") 0.50 else 0.30)
  score <- pmin(10, pmax(1, round(rnorm(n, if (sector == "Kommun") 6.2 else 5.6, 2))))
  rows[[k]] <- data.frame(
    id = id + seq_len(n), region = region, sector = sector, answer = answer,
    mc_lon = mc_lon, mc_arbetsmiljo = mc_arbetsmiljo, score = score
  )
  id <- id + n
}
sample <- do.call(rbind, rows)
sample <- sample[order(runif(nrow(sample))), ] # shuffle: nothing may rely on the order
sample$id <- seq_len(nrow(sample))

margins <- rbind(
  data.frame(margin = "region", level = regions,
             count = as.vector(tapply(population$count, population$region, sum)[regions])),
  data.frame(margin = "sector", level = sectors,
             count = as.vector(tapply(population$count, population$sector, sum)[sectors]))
)

write.csv(population, file.path(out, "population_cells.csv"), row.names = FALSE,
          fileEncoding = "UTF-8")
write.csv(margins, file.path(out, "population_margins.csv"), row.names = FALSE,
          fileEncoding = "UTF-8")
write.csv(sample, file.path(out, "sample.csv"), row.names = FALSE, fileEncoding = "UTF-8")
