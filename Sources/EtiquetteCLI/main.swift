print("etiquette: under construction")
