data <- read.csv("responses_123456_R_data_file.csv", quote = "'\"", na.strings=c("", "\"\""), stringsAsFactors=FALSE, fileEncoding="UTF-8-BOM")


# LimeSurvey Field type: F
data[, 1] <- as.numeric(data[, 1])
attributes(data)$variable.labels[1] <- "id"
names(data)[1] <- "id"
# LimeSurvey Field type: DATETIME23.2
data[, 2] <- as.character(data[, 2])
attributes(data)$variable.labels[2] <- "submitdate"
names(data)[2] <- "submitdate"
# LimeSurvey Field type: F
data[, 3] <- as.numeric(data[, 3])
attributes(data)$variable.labels[3] <- "lastpage"
names(data)[3] <- "lastpage"
# LimeSurvey Field type: A
data[, 4] <- as.character(data[, 4])
attributes(data)$variable.labels[4] <- "startlanguage"
names(data)[4] <- "startlanguage"
# LimeSurvey Field type: A
data[, 5] <- as.character(data[, 5])
attributes(data)$variable.labels[5] <- "seed"
names(data)[5] <- "seed"
# LimeSurvey Field type: DATETIME23.2
data[, 6] <- as.character(data[, 6])
attributes(data)$variable.labels[6] <- "startdate"
names(data)[6] <- "startdate"
# LimeSurvey Field type: DATETIME23.2
data[, 7] <- as.character(data[, 7])
attributes(data)$variable.labels[7] <- "datestamp"
names(data)[7] <- "datestamp"
# LimeSurvey Field type: A
data[, 8] <- as.character(data[, 8])
attributes(data)$variable.labels[8] <- "Wie haben Sie von dem Angebot erfahren?"
data[, 8] <- factor(data[, 8], levels=c("A1","A2","A3"),labels=c("Zeitung", "Website der Stadt", "Freunde oder Bekannte"))
names(data)[8] <- "G01Q01"
# LimeSurvey Field type: A
data[, 9] <- as.character(data[, 9])
attributes(data)$variable.labels[9] <- "[Other] Wie haben Sie von dem Angebot erfahren?"
names(data)[9] <- "G01Q01_other"
# LimeSurvey Field type: F
data[, 10] <- as.numeric(data[, 10])
attributes(data)$variable.labels[10] <- "Wie zufrieden sind Sie insgesamt?"
names(data)[10] <- "G01Q02"
# LimeSurvey Field type: F
data[, 11] <- as.numeric(data[, 11])
attributes(data)$variable.labels[11] <- "[Willkommenstasche] Welche Angebote haben Sie genutzt?"
data[, 11] <- factor(data[, 11], levels=c(1,0),labels=c("Yes", "Not Selected"))
names(data)[11] <- "G01Q03_SQ001"
# LimeSurvey Field type: F
data[, 12] <- as.numeric(data[, 12])
attributes(data)$variable.labels[12] <- "[Neubürgerabend] Welche Angebote haben Sie genutzt?"
data[, 12] <- factor(data[, 12], levels=c(1,0),labels=c("Yes", "Not Selected"))
names(data)[12] <- "G01Q03_SQ002"
# LimeSurvey Field type: F
data[, 13] <- as.numeric(data[, 13])
attributes(data)$variable.labels[13] <- "[Stadtführung] Welche Angebote haben Sie genutzt?"
data[, 13] <- factor(data[, 13], levels=c(1,0),labels=c("Yes", "Not Selected"))
names(data)[13] <- "G01Q03_SQ003"
# LimeSurvey Field type: A
data[, 14] <- as.character(data[, 14])
attributes(data)$variable.labels[14] <- "Was sollten wir verbessern?"
names(data)[14] <- "G01Q04"
