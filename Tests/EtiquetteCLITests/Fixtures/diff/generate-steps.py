#!/usr/bin/env python3
"""Writes steps.jsonl: a deterministic, export-like replay of 160 WhatsApp conversations.

Run once from this folder (`python3 generate-steps.py`) and commit the output; the fixed seed
makes the file the same on every machine. Conversations are interleaved the way a real export
of a busy inbox is: each conversation's steps stay in order, with time moving forward.
"""
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20260105)
PARIS = timezone(timedelta(hours=1))

GREETINGS = ["Bonjour", "Bonsoir", "Salut", "Bonjour madame", "Hello", "Coucou"]
SALES = [
    "Quel est le prix de l'abonnement annuel ?",
    "Vous pouvez m'envoyer un devis pour 12 licences ?",
    "C'est combien pour la formule pro ?",
    "Je voudrais acheter deux cartes cadeaux",
    "Quels sont vos tarifs pour les associations ?",
    "Le prix affiché inclut la TVA ?",
    "Combien coûte la livraison express ?",
    "J'aimerais acheter le pack découverte, c'est possible ?",
    "Vous faites un prix pour les étudiants ?",
]
ORDERS = [
    "Où en est ma commande ?",
    "Ma commande CMD-{n} n'est toujours pas arrivée",
    "Je n'ai pas reçu mon colis",
    "La livraison était prévue hier, rien reçu",
    "Pouvez-vous me donner le numéro de suivi ?",
    "Commande ORD-{n} : le prix facturé n'est pas le bon",
    "Problème de livraison sur ORD-{n}",
    "Le colis est abîmé, que faire ?",
]
SUPPORT = [
    "L'application plante au démarrage",
    "J'ai une erreur 500 quand je me connecte",
    "Le paiement ne marche pas",
    "Il y a un bug dans l'export PDF",
    "Depuis la mise à jour tout crash",
]
BOOKING = [
    "J'ai réservé pour jeudi 14h",
    "Rendez-vous confirmé, merci !",
    "J’ai planifié un appel avec votre équipe",
    "créneau réservé pour lundi",
    "Réservation faite pour samedi matin",
]
CANCEL = ["J'ai annulé mon rendez-vous", "Je dois annuler le rendez-vous, désolé"]
HUMAN = [
    "Je veux parler à un humain",
    "Est-ce que je peux avoir un conseiller ?",
    "Passez-moi un agent humain s'il vous plaît",
]
SMALL_TALK = [
    "Merci beaucoup", "D'accord", "Ok super", "Vous êtes là ?", "Parfait, bonne journée",
    "Je reviens vers vous demain", "👍", "Très bien merci", "Et sinon ?",
]
AGENTS = [
    "bruno@exemple.fr", "chloe@exemple.fr", "manon@exemple.fr", "dev@exemple.fr",
    "alice@exemple.fr", "emma@exemple.fr", "audit@exemple.fr",
]
REPLIES = [
    "Bonjour, je regarde tout de suite", "Je vous envoie le devis dans la journée",
    "Votre colis part demain", "Pouvez-vous m'envoyer une capture d'écran ?",
    "Le correctif est en cours de déploiement",
]
NOTES = ["client fidèle", "relancer jeudi", "voir avec la compta", "doublon probable"]
NAMES = ["Léa", "Hugo", "Camille", "Nora", "Yanis", "Inès", "Louis", "Zoé", "Malik", "Chloé"]


def order_number():
    return f"{rng.randint(0, 999999):06d}"


def customer_text(topic):
    pool = {
        "sales": SALES, "order": ORDERS, "support": SUPPORT, "booking": BOOKING,
        "human": HUMAN, "talk": SMALL_TALK,
    }[topic]
    text = rng.choice(pool).replace("{n}", order_number())
    if rng.random() < 0.25:
        text = rng.choice(GREETINGS) + ", " + text[0].lower() + text[1:]
    return text


def conversation(index):
    """The steps of one conversation, each with its time."""
    cid = f"c{index:03d}"
    start = datetime(2026, 11, 23, 7, 0, tzinfo=PARIS) + timedelta(
        minutes=rng.randint(0, 6 * 24 * 60))
    now = start
    topics = rng.sample(["sales", "order", "support", "booking", "human", "talk"], 3)
    vip = rng.random() < 0.15
    steps = []

    def add(step, minutes=None):
        nonlocal now
        now += timedelta(minutes=minutes if minutes is not None else rng.randint(1, 90))
        step = {"conversation": cid, **step, "at": now.isoformat()}
        steps.append(step)

    first = {"type": "text", "text": customer_text(topics[0])}
    first["contact"] = {
        "phone": f"+3361{rng.randint(0, 9999999):07d}", "name": rng.choice(NAMES),
        "tier": "vip" if vip else "standard", "language": "fr",
    }
    add(first, minutes=0)
    for _ in range(rng.randint(3, 11)):
        roll = rng.random()
        if roll < 0.45:
            add({"type": "text", "text": customer_text(rng.choice(topics))})
        elif roll < 0.52:
            caption = rng.choice(["capture d'écran du bug", "photo du colis", None])
            step = {"type": "image", "attachments": [
                {"url": f"https://cdn.exemple.fr/{cid}/{len(steps)}.jpg", "type": "image/jpeg",
                 "size": rng.randint(20_000, 900_000)}]}
            if caption:
                step["caption"] = caption
            add(step)
        elif roll < 0.55:
            add({"type": "document", "filename": rng.choice(
                ["devis-signé.pdf", "facture.pdf", "bon de commande.pdf", "erreur.log"])})
        elif roll < 0.60:
            add({"type": "text", "text": rng.choice(CANCEL)})
        elif roll < 0.64:
            add({"event": "calendly.booking.confirmed", "fields": {
                "invitee": rng.choice(NAMES), "start": "2026-12-01T10:00:00+01:00"}})
        elif roll < 0.67:
            add({"tick": True}, minutes=rng.randint(60, 600))
        elif roll < 0.69:
            add({"type": "text", "text": customer_text("talk"), "contact": {"tier": "vip"}})
        else:
            agent = rng.choice(AGENTS)
            action = rng.choice([
                "take_over", "take_over", "transfer_to_ai", "keep_human_and_leave", "reply",
                "reply", "note", "add_label", "remove_label",
            ])
            step = {"agent": agent, "action": action}
            if action in ("reply",):
                step["text"] = rng.choice(REPLIES)
            elif action == "note":
                step["text"] = rng.choice(NOTES)
            elif action in ("add_label", "remove_label"):
                step["label"] = rng.choice(
                    ["VIP", "Demandes de Vente", "Demandes de Commande", "Support Technique"])
            add(step)
    return steps


def main():
    conversations = [conversation(i) for i in range(1, 161)]
    # Interleave by time; ties keep conversation order, so the merge is deterministic.
    lines = []
    for steps in conversations:
        for order, step in enumerate(steps):
            lines.append((step["at"], step["conversation"], order, step))
    lines.sort(key=lambda item: (datetime.fromisoformat(item[0]), item[1], item[2]))
    with open("steps.jsonl", "w", encoding="utf-8") as out:
        for _, _, _, step in lines:
            out.write(json.dumps(step, ensure_ascii=False) + "\n")
    print(f"{len(lines)} steps over {len(conversations)} conversations")


if __name__ == "__main__":
    main()
