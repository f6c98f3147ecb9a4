* Um den Datensatz in SPSS zu laden, führen Sie diese Syntax bitte vollständig aus.
* - entweder (a) wählen Sie im Menü oben: "Ausführen", "Alles"
* - oder (b) markieren Sie die gesamte Syntax (Strg+A) und klicken Sie auf den Pfeil (Aktuellen Befehl ausführen)

DATA LIST FREE(TAB)
 /CASE (F8.0)
  SERIAL (A4)
  REF (A4)
  QUESTNNR (A4)
  MODE (A16)
  STARTED (DATETIME)
  ZU01 (F3.0)
  AN01 (F3.0)
  AN01_01 (F1.0)
  AN01_02 (F1.0)
  AN01_03 (F1.0)
  AN02_01 (A256)
  TIME001 (F8.0)
  TIME002 (F8.0)
  TIME_SUM (F8.0)
  MAILSENT (DATETIME)
  LASTDATA (DATETIME)
  FINISHED (F1.0)
  Q_VIEWER (F1.0)
  LASTPAGE (F8.0)
  MAXPAGE (F8.0)
  MISSING (F8.0)
  MISSREL (F8.0)
  TIME_RSI (F12.4).
BEGIN DATA
27			base	interview	18-06-2025 10:02:11	4	2	2	1	2	Mehr Termine am Abend, eine Sprechstunde für Neuzugezogene im Rathaus und eine Übersicht der Vereine und Sportangebote auf der Website der Stadt	35	80			18-06-2025 10:04:06	
1	0	2	2	0	0		
31			base	interview	18-06-2025 19:40:55	-9	0	1	1	1		21	44			18-06-2025 19:42:00	1	0	2	2	25	20		
32			base	interview	19-06-2025 07:15:30	5						17				19-06-2025 07:15:47	0	0	1	1	75	80		
END DATA.


VARIABLE WIDTH  SERIAL REF QUESTNNR MODE AN02_01 (8) STARTED MAILSENT LASTDATA (20)
.


**** Variable und Value Labels *********************************************************************************************


VARIABLE LABELS
 CASE 'Interview-Nummer (fortlaufend)'
 SERIAL 'Seriennummer (sofern verwendet)'
 REF 'Referenz (sofern im Link angegeben)'
 QUESTNNR 'Fragebogen, der im Interview verwendet wurde'
 MODE 'Interview-Modus'
 STARTED 'Zeitpunkt zu dem das Interview begonnen hat (Europe/Berlin)'
 ZU01 'Zufriedenheit'
 AN01 'Angebote: Ausweichoption (negativ) oder Anzahl ausgewählter Optionen'
 AN01_01 'Angebote: Willkommenstasche'
 AN01_02 'Angebote: Neubürgerabend'
 AN01_03 'Angebote: Stadtführung'
 AN02_01 'Wunsch: [01]'
 TIME001 'Verweildauer Seite 1'
 TIME002 'Verweildauer Seite 2'
 TIME_SUM 'Verweildauer gesamt (ohne Ausreißer)'
 MAILSENT 'Versandzeitpunkt der Einladungsmail (nur für nicht-anonyme Adressaten)'
 LASTDATA 'Zeitpunkt als der Datensatz das letzte mal geändert wurde'
 FINISHED 'Wurde die Befragung abgeschlossen (letzte Seite erreicht)?'
 Q_VIEWER 'Hat der Teilnehmer den Fragebogen nur angesehen, ohne die Pflichtfragen zu beantworten?'
 LASTPAGE 'Seite, die der Teilnehmer zuletzt bearbeitet hat'
 MAXPAGE 'Letzte Seite, die im Fragebogen bearbeitet wurde'
 MISSING 'Anteil fehlender Antworten in Prozent'
 MISSREL 'Anteil fehlender Antworten (gewichtet nach Relevanz)'
 TIME_RSI 'Ausfüll-Geschwindigkeit (relativ)'
.


VALUE LABELS
 /ZU01 1 'sehr unzufrieden' 2 'eher unzufrieden' 3 'teils, teils' 4 'eher zufrieden' 5 'sehr zufrieden' -9 'nicht beantwortet'
 /AN01_01 AN01_02 AN01_03 1 'nicht gewählt' 2 'ausgewählt'
 /FINISHED 0 'abgebrochen' 1 'ausgefüllt'
 /Q_VIEWER 0 'Teilnehmer' 1 'Durchklicker'
.

MISSING VALUES
 ZU01 (-9)
.

