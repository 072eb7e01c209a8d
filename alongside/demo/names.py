"""Fixed word lists for synthetic people, places and notes.

Every name here is a common given or family name, combined at random: no record describes
a real person. Providers and streets are invented for the fictional town of Riverside.
Phone numbers use the 555-0100 to 555-0199 range, which is reserved for fiction.
"""

from __future__ import annotations

HISPANIC_WOMEN = (
    "María", "Ana", "Sofía", "Lucía", "Carmen", "Rosa", "Gabriela", "Valentina",
    "Yesenia", "Marisol", "Guadalupe", "Leticia", "Daniela", "Alejandra", "Beatriz",
    "Elena", "Isabel", "Mónica", "Paola", "Ximena",
)  # fmt: skip
HISPANIC_MEN = (
    "José", "Luis", "Carlos", "Juan", "Miguel", "Jorge", "Pedro", "Alejandro",
    "Javier", "Ricardo", "Héctor", "Raúl", "Andrés", "Fernando", "Manuel", "Rafael",
    "Sergio", "Víctor", "Eduardo", "Julio",
)  # fmt: skip
OTHER_WOMEN = (
    "Jasmine", "Keisha", "Aaliyah", "Tanya", "Emily", "Sarah", "Jessica", "Ashley",
    "Amanda", "Megan", "Rachel", "Nicole", "Kayla", "Brittany", "Samantha", "Heather",
    "Crystal", "Tiffany", "Danielle", "Mei", "Linh", "Priya", "Aisha", "Fatima",
    "Olga", "Bridget", "Shannon", "Erin", "Destiny", "Imani", "Latoya", "Monique",
    "Hannah", "Courtney", "Amber", "Naomi", "Grace", "Tamika", "Ebony", "Chloe",
)  # fmt: skip
OTHER_MEN = (
    "Marcus", "Darnell", "Andre", "Jamal", "Tyrone", "Malik", "DeShawn", "Michael",
    "James", "Robert", "John", "David", "William", "Joseph", "Christopher", "Matthew",
    "Joshua", "Daniel", "Brandon", "Tyler", "Kevin", "Ryan", "Sean", "Patrick",
    "Kyle", "Cody", "Dustin", "Travis", "Wei", "Minh", "Raj", "Omar", "Ahmed",
    "Dmitri", "Kwame", "Terrence", "Derek", "Shane", "Corey", "Isaiah",
)  # fmt: skip
NEUTRAL = (
    "Alex",
    "Jordan",
    "Taylor",
    "Casey",
    "Riley",
    "Jamie",
    "Morgan",
    "Sam",
    "Avery",
    "Quinn",
)

HISPANIC_FAMILY = (
    "García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
    "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz",
    "Morales", "Reyes", "Ortiz", "Gutiérrez", "Chávez", "Ramos", "Ruiz", "Álvarez",
    "Mendoza", "Castillo", "Jiménez", "Vásquez", "Romero", "Herrera", "Medina",
    "Aguilar", "Vargas", "Castro", "Santiago", "Colón", "Peña", "Núñez", "Delgado",
)  # fmt: skip
OTHER_FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
    "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
    "Campbell", "Mitchell", "Carter", "Roberts", "Phillips", "Evans", "Turner",
    "Parker", "Collins", "Edwards", "Stewart", "Murphy", "Cook", "Rogers", "Morgan",
    "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Kim", "Nguyen",
    "Patel", "Chen", "Washington", "Jefferson", "O'Brien", "Sullivan", "Kowalski",
    "Novak", "Okafor", "Mensah", "Haddad", "Cohen", "Russo", "Schmidt", "Yazzie",
    "Begay", "Tran", "Singh", "Ali", "Brooks", "Price", "Bennett", "Wood",
)  # fmt: skip

AREA_CODES = ("914", "845", "518", "607", "315")
STREETS = (
    "Elm Street", "Maple Avenue", "River Road", "Water Street", "Mill Street",
    "Grand Street", "Church Street", "Union Avenue", "Bridge Street", "Market Street",
    "Front Street", "Pine Street", "Orchard Lane", "Canal Street", "Hudson Terrace",
)  # fmt: skip
TOWN = "Riverside"

PROVIDERS: dict[str, tuple[str, ...]] = {
    "moud": (
        "Riverside Health Center OTP",
        "Eastbank Buprenorphine Clinic",
        "Mill Street Comprehensive Treatment Center",
    ),
    "detox": ("Harlow Withdrawal Management Unit", "Riverside General Detox"),
    "residential": ("Cedar Hill Residential Program", "Northgate Recovery House"),
    "outpatient": ("Riverside Counseling Services", "Bridgeway Outpatient"),
    "mental_health": ("Riverside Community Mental Health", "Open Door Counseling"),
    "housing": ("Riverside Housing Coalition", "Safe Haven Shelter"),
    "employment": ("WorkBridge Employment Services",),
    "legal": ("Riverside Legal Aid",),
    "primary_care": ("Riverside Family Health Center", "Eastbank Community Clinic"),
}

DISCLOSURE_PURPOSES = (
    "Coordinating treatment and follow-up",
    "Supporting a housing application",
    "Linking to primary care",
    "Court-ordered progress reports",
)
DISCLOSURE_INFORMATION = (
    "Attendance, referral status and treatment plan",
    "Dates of contact and referral outcomes",
    "Enrolment status only",
)

ENCOUNTER_NOTES = (
    "Checked in after the weekend; feeling steadier and wants to talk about work.",
    "Talked through the intake appointment; nervous but plans to go.",
    "Dropped off a naloxone kit and showed how to use it.",
    "Short call: staying with a cousin for now, phone may be off at night.",
    "Met at the drop-in centre; asked about getting an ID replaced.",
    "Discussed cravings after a hard week; made a plan for the evening.",
    "Went over the recovery plan goals; wants to add reconnecting with family.",
    "Reminded about tomorrow's clinic visit; will meet at the bus stop.",
    "Texted back quickly; doing okay, asked for the group schedule.",
    "Talked about the benefits appointment and which papers to bring.",
    "Felt unheard at the clinic last time; we planned what to say.",
    "Attended group for the first time and said it helped.",
    "Lost housing this week; called the shelter line together.",
    "Celebrated 30 days; proud and a bit anxious.",
    "Asked for test strips and talked about using with someone nearby.",
    "Missed the last appointment; rescheduled together.",
    "Crisis call: safe now, agreed to check in again tomorrow.",
    "Accompanied to the pharmacy; first dose went fine.",
)
REFERRAL_NOTES = (
    "Prefers a morning appointment.",
    "Needs transport; peer will accompany.",
    "Asked for a Spanish-speaking counsellor.",
    "Waiting list; provider will call back.",
)
LIVED_EXPERIENCE_NOTES = (
    "In recovery for several years; a peer met me in the ED once and it changed things.",
    "I've been on methadone myself and I know how the clinic can feel.",
    "Lived on the street for two years; I know the shelters and the people who run them.",
    "Family member of someone in recovery; I've sat in the waiting rooms.",
    "Long-term recovery from alcohol and opioids; I came home from prison to this work.",
    "Mental health recovery is part of my story, and I talk about it when it helps.",
)
CERTIFICATIONS = (
    "Certified Recovery Peer Advocate (CRPA)",
    "Certified Peer Recovery Specialist (CPRS)",
    "Peer Support Specialist (in training)",
)
