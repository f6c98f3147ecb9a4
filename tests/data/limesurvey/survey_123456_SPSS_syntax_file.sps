*$Rev: 121017 $ all 2.
SET UNICODE=ON.
SHOW LOCALE.
PRESERVE LOCALE.
SET LOCALE='en_UK'.
SET DECIMAL=DOT.
GET DATA
 /TYPE=TXT
 /FILE='survey_123456_SPSS_data_file.dat'
 /DELCASE=LINE
 /DELIMITERS=","
 /QUALIFIER="'"
 /ARRANGEMENT=DELIMITED
 /FIRSTCASE=1
 /IMPORTCASE=ALL
 /VARIABLES=
 V1 F7
 V2 DATETIME23.2
 V3 F7
 V4 A20
 V5 A31
 V6 DATETIME23.2
 V7 DATETIME23.2
 V8 A2
 V9 A18
 V10 F1
 V11 F1
 V12 F1
 V13 F1
 V14 A55.
CACHE.
EXECUTE.
*Define Variable Properties.
VARIABLE LABELS V1 "id".
VARIABLE LABELS V2 "submitdate".
VARIABLE LABELS V3 "lastpage".
VARIABLE LABELS V4 "startlanguage".
VARIABLE LABELS V5 "seed".
VARIABLE LABELS V6 "startdate".
VARIABLE LABELS V7 "datestamp".
VARIABLE LABELS V8 "Wie haben Sie von dem Angebot erfahren?".
VARIABLE LABELS V9 "[Other] Wie haben Sie von dem Angebot erfahren?".
VARIABLE LABELS V10 "Wie zufrieden sind Sie insgesamt?".
VARIABLE LABELS V11 "[Willkommenstasche] Welche Angebote haben Sie genutzt?".
VARIABLE LABELS V12 "[Neubürgerabend] Welche Angebote haben Sie genutzt?".
VARIABLE LABELS V13 "[Stadtführung] Welche Angebote haben Sie genutzt?".
VARIABLE LABELS V14 "Was sollten wir verbessern?".
*Define Value labels.
VALUE LABELS  V8
 "A1" "Zeitung"
 "A2" "Website der Stadt"
 "A3" "Freunde oder Bekannte".
VALUE LABELS  V11
 1 "Yes"
 0 "Not Selected".
VALUE LABELS  V12
 1 "Yes"
 0 "Not Selected".
VALUE LABELS  V13
 1 "Yes"
 0 "Not Selected".
RENAME VARIABLES ( V1 = id ).
RENAME VARIABLES ( V2 = submitdate ).
RENAME VARIABLES ( V3 = lastpage ).
RENAME VARIABLES ( V4 = startlanguage ).
RENAME VARIABLES ( V5 = seed ).
RENAME VARIABLES ( V6 = startdate ).
RENAME VARIABLES ( V7 = datestamp ).
RENAME VARIABLES ( V8 = G01Q01 ).
RENAME VARIABLES ( V9 = G01Q01_other ).
RENAME VARIABLES ( V10 = G01Q02 ).
RENAME VARIABLES ( V11 = G01Q03_SQ001 ).
RENAME VARIABLES ( V12 = G01Q03_SQ002 ).
RENAME VARIABLES ( V13 = G01Q03_SQ003 ).
RENAME VARIABLES ( V14 = G01Q04 ).
RESTORE LOCALE.
